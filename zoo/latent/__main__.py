"""python -m zoo.latent <command> --out DIR ...: latent control over the zoo's generators, decoders and encoders.

    pca          spectra (eigenvalues, explained variance) of one or more latent spaces on one axis
    grid         eigen-direction grid: row i moves component i from -span to +span std (middle = unedited)
    sample       PCA sampling: draw in the PCA basis and decode
    attribute    one attribute direction (InterFaceGAN with a classifier preset, or an encoder's mean difference)
    directions   a direction set (PCA + classifier directions) for a preset folder
    edit         move seeds, a photo (--encoder) or a projected latent along a stored direction
    interpolate  lerp and slerp between two seeds or two photos
    matrix       4-corner interpolation matrix
    restore      VAE restoration of noisy / erased faces vs mean and median filters (PSNR/SSIM/MSE)
    project      fit a latent to a photo (pixel + perceptual loss), optionally edit it
    scatter      2-D scatter of a VAE's posterior means coloured by a label
    mean-faces   mean faces per gender x race and per age bucket

Every command writes its figure(s) and <command>.json (directions: directions_report.json) to --out.
Models: a preset name or folder, a training run folder (RUN, or RUN:encoder for a part), or an .onnx file.
Bad presets or files: a message and exit 2.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

PROG = "python -m zoo.latent"


def _common(p, model=True, space=True, data=False, encoder=True):
    p.add_argument("--out", required=True, help="folder for the figures and <command>.json")
    p.add_argument("--seed", type=int, default=0)
    if model:
        p.add_argument("--model", required=True, help="generator/decoder preset name or folder, or .onnx file")
    if space:
        p.add_argument("--space", choices=("z", "w", "w+"), default="z", help="StyleGAN: w or w+")
    if data and encoder:
        p.add_argument("--encoder", default=None, help="VAE encoder preset (encodes real faces)")
    if data:
        p.add_argument("--data", default="utkface", help="dataset name for --encoder (utkface, celeba, synthetic)")
        p.add_argument("--data-dir", default=None)
        p.add_argument("--count", type=int, default=512, help="real images to use")
        p.add_argument("--split", choices=("test", "all"), default="test",
                       help="test: the classifier presets' held-out 10%% (split seed --seed)")
        p.add_argument("--image-size", type=int, default=64)


def _pca_source(p):
    p.add_argument("--samples", type=int, default=5000, help="sampled latents for the PCA")
    p.add_argument("--activations", action=argparse.BooleanOptionalAction, default=None,
                   help="GANSpace: PCA of the first layer, regressed to z (default for a z-only GAN with a first "
                        "linear layer; --no-activations: a PCA of sampled z, the spectrum of N(0, I))")
    p.add_argument("--directions", default=None, help="use the PCA stored in this preset/folder's direction set")


def _edit(p):
    p.add_argument("--classifier", default=None, help="classifier preset measuring the edit (and the labels)")
    p.add_argument("--task", default="gender", help="gender (P(female)), age (years) or ethnicity:K")
    p.add_argument("--max-intensity", type=float, default=3.0)
    p.add_argument("--edit-steps", type=int, default=7, help="intensities from -max to +max")
    p.add_argument("--edit-count", type=int, default=4, help="latents edited in the figure")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("pca")
    _common(p, model=False, data=True, encoder=False)
    p.add_argument("--model", action="append", help="generator preset (repeatable)")
    p.add_argument("--encoder", action="append", help="VAE encoder preset (repeatable)")
    p.add_argument("--samples", type=int, default=5000)
    p.add_argument("--activations", action=argparse.BooleanOptionalAction, default=None)
    p.add_argument("--top", type=int, default=50)
    for name in ("grid", "sample"):
        p = sub.add_parser(name)
        _common(p, data=True)
        _pca_source(p)
        p.add_argument("--at", default="mean", help="'mean' or a seed index whose coordinates are held")
        p.add_argument("--components", default="0,1,2,3,4")
        p.add_argument("--steps", type=int, default=7)
        p.add_argument("--span", type=float, default=3.0)
        p.add_argument("--layers", default=None, help="StyleGAN (--space w): edit layers START:STOP only")
        p.add_argument("--num-components", type=int, default=None)
        p.add_argument("--count-samples", type=int, default=16)
    for name in ("attribute", "directions"):
        p = sub.add_parser(name)
        _common(p, data=True)
        _edit(p)
        _pca_source(p)
        p.add_argument("--label", default="gender", help="with --encoder: a rule on a label, e.g. age>=40")
        p.add_argument("--name", default=None)
        p.add_argument("--chosen-fraction", type=float, default=0.2, help="InterFaceGAN: top/bottom fraction")
        p.add_argument("--tasks", default="", help="directions: comma list of WHAT@CLASSIFIER: a classifier task "
                       "(InterFaceGAN), or with --encoder a label rule, e.g. gender@P,age>=40@P")
    p = sub.add_parser("edit")
    _common(p, data=True)
    _edit(p)
    p.add_argument("--directions", required=True, help="preset or folder with directions.npz")
    p.add_argument("--direction", required=True)
    p.add_argument("--condition", default=None, help="comma list of directions to hold fixed")
    p.add_argument("--latent", default=None, help="projection.npz from 'project'")
    p.add_argument("--image", default=None, help="a photo, encoded with --encoder")
    for name in ("interpolate", "matrix"):
        p = sub.add_parser(name)
        _common(p, data=True)
        p.add_argument("--seeds", default=None)
        p.add_argument("--images", default=None, help="comma-separated photos (with --encoder)")
        p.add_argument("--steps", type=int, default=7 if name == "matrix" else 9)
    p = sub.add_parser("restore")
    _common(p, data=True)
    p.add_argument("--filter-size", type=int, default=3)
    p.add_argument("--noise-std", default="0.2", help="comma list of Gaussian noise stds on [-1, 1]")
    p.add_argument("--show", type=int, default=6)
    p = sub.add_parser("project")
    _common(p)
    _edit(p)
    p.add_argument("--image", required=True)
    p.add_argument("--steps", type=int, default=300, help="optimisation steps")
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--perceptual-weight", type=float, default=1.0)
    p.add_argument("--directions", default=None)
    p.add_argument("--direction", default=None, help="edit the projected latent along this stored direction")
    p = sub.add_parser("scatter")
    _common(p, model=False, space=False, data=True)
    p.add_argument("--label", default="gender", help="gender, race, age_bucket or any label column")
    p = sub.add_parser("mean-faces")
    _common(p, model=False, space=False, data=True)
    p.add_argument("--model", default=None, help="decoder for the decoded mean latents (with --encoder)")
    p.set_defaults(space="z")
    return parser


def run(args) -> dict:
    from zoo.latent import commands, real

    table = {"pca": commands.cmd_pca, "grid": commands.cmd_grid, "sample": commands.cmd_sample,
             "attribute": commands.cmd_attribute, "directions": commands.cmd_directions, "edit": commands.cmd_edit,
             "interpolate": real.cmd_interpolate, "matrix": real.cmd_matrix, "restore": real.cmd_restore,
             "project": real.cmd_project, "scatter": real.cmd_scatter, "mean-faces": real.cmd_mean_faces}
    return table[args.command](args)


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from zoo.data.errors import DataError
    from zoo.latent.models import LatentError
    from zoo.registry import PresetError
    from zoo.utils.io import write_json

    start = time.time()
    try:
        report = run(args)
    except (LatentError, DataError, PresetError) as e:
        print(f"{PROG} {args.command}: error: {e}", file=sys.stderr)
        return 2
    report = {"command": [PROG, *argv], "seconds": round(time.time() - start, 1), **report}
    # directions.json is the direction set's own file; the command's report goes beside it.
    path = os.path.join(args.out, "directions_report.json" if args.command == "directions" else
                        f"{args.command}.json")
    write_json(path, report)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
