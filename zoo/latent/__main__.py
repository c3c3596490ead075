"""python -m zoo.latent <command> --out DIR ...: latent control over the zoo's generators, decoders and encoders.

    pca          spectra (eigenvalues, explained variance) of one or more latent spaces on one axis
    grid         eigen-direction grid: row i moves component i from -span to +span std (middle = unedited)
    sample       PCA sampling: draw in the PCA basis and decode
    attribute    one attribute direction (InterFaceGAN with a classifier preset, or an encoder's mean difference)
    directions   a direction set (PCA + classifier directions) for a preset folder
    edit         move seeds, a photo (--encoder), a projected latent or real faces lacking an attribute
                 (--lacking RULE, with the direction decoded alone) along a stored direction
    interpolate  lerp and slerp between two seeds or two photos
    arithmetic   A - B + C on real faces: each term the mean latent of test faces matching label rules
    matrix       4-corner interpolation matrix
    restore      VAE (or a diffusion model's SDEdit) restoration of noisy / erased faces vs mean and median
                 filters (PSNR/SSIM/MSE)
    project      fit a latent to a photo (pixel + perceptual loss; --encoder: from its latent; --pivotal-steps:
                 then tune a copy of the generator to the photo), optionally edit it
    train-inverter  an inversion encoder for a GAN, trained on its own samples (project --encoder DIR)
    scatter      2-D scatter of a VAE's posterior means coloured by a label
    mean-faces   mean faces per gender x race and per age bucket

Every command writes its figure(s) and <command>.json (directions: directions_report.json) to --out.
Models: a preset name or folder, a training run folder (RUN, or RUN:encoder for a part), or an .onnx file.
Photos (edit --image, interpolate/matrix --images, project --image): the largest face is found (MTCNN) and aligned
to the UTKFace template, as predict does; --no-align reads the central square. No face: a message and exit 2.
Bad presets or files: a message and exit 2. A diffusion --model (DDIMSampler) is its own encoder, by DDIM
inversion (no --encoder); pca, grid, sample, attribute, directions and edit refuse it (its z is i.i.d. noise).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time

from zoo.utils.arguments import (Parser, UsageError, check_model, check_name, check_output_folder, integer,
                                 integers, name, number, numbers, run_command)

PROG = "python -m zoo.latent"
SEED = integer(0, 2**32 - 1)
TASK = re.compile(r"gender|age|ethnicity(:[0-4])?")  # a classifier's outputs (ethnicity:K: one of UTKFace's 5)


def _task(text: str, what: str = "") -> str:
    if not TASK.fullmatch(text):
        raise UsageError(f"{what}{text!r}: expected gender, age or ethnicity:K with K from 0 to 4")
    return text


def _strengths(text: str) -> str:
    """SDEdit strengths: a comma list of numbers in (0, 1] (kept as text, like --noise-std)."""
    for v in text.split(","):
        number(0, 1, above=0)(v.strip())
    return text


def _at(text: str) -> str:
    return text if text == "mean" else str(integer(0, 100_000)(text))


def _layers(text: str) -> str:
    start, sep, stop = text.partition(":")
    if not sep or not start.isdigit() or not stop.isdigit() or int(start) >= int(stop):
        raise UsageError(f"{text!r}: expected START:STOP, two whole numbers with START < STOP")
    return text


def _common(p, model=True, space=True, data=False, encoder=True):
    p.add_argument("--out", required=True, help="folder for the figures and <command>.json")
    p.add_argument("--seed", type=SEED, default=0)
    if model:
        p.add_argument("--model", required=True, help="generator/decoder preset name or folder, or .onnx file")
    if space:
        p.add_argument("--space", choices=("z", "w", "w+"), default="z", help="StyleGAN: w or w+")
    if data and encoder:
        p.add_argument("--encoder", default=None, help="VAE encoder preset (encodes real faces)")
    if data:
        p.add_argument("--data", default="utkface", help="dataset name for --encoder (utkface, celeba, synthetic)")
        p.add_argument("--data-dir", default=None)
        p.add_argument("--count", type=integer(1, 1_000_000), default=512, help="real images to use")
        p.add_argument("--split", choices=("test", "all"), default="test",
                       help="test: the presets' held-out 10%% (zoo.data.splits.PRESET_SPLIT; --seed only picks which of its faces)")
        p.add_argument("--image-size", type=integer(4, 1024), default=64)


SAMPLES = integer(2, 1_000_000)  # a PCA needs two latents


def _pca_source(p):
    p.add_argument("--samples", type=SAMPLES, default=5000, help="sampled latents for the PCA")
    p.add_argument("--activations", action=argparse.BooleanOptionalAction, default=None,
                   help="GANSpace: PCA of the first layer, regressed to z (default for a z-only GAN with a first "
                        "linear layer; --no-activations: a PCA of sampled z, the spectrum of N(0, I))")
    p.add_argument("--directions", default=None, help="use the PCA stored in this preset/folder's direction set")


def _edit(p):
    p.add_argument("--classifier", default=None, help="classifier preset measuring the edit (and the labels)")
    p.add_argument("--task", type=_task, default="gender", help="gender (P(female)), age (years) or ethnicity:K")
    p.add_argument("--max-intensity", type=number(0, 1000), default=3.0)
    p.add_argument("--edit-steps", type=integer(1, 101), default=7, help="intensities from -max to +max")
    p.add_argument("--edit-count", type=integer(1, 256), default=4, help="latents edited in the figure")


def _no_align(p):
    p.add_argument("--no-align", dest="align", action="store_false",
                   help="no face detection: read each photo's central square (default: its largest face, aligned "
                        "to the UTKFace template as the shipped models' chips are framed)")


def build_parser() -> Parser:
    parser = Parser(prog=PROG, description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("pca")
    _common(p, model=False, data=True, encoder=False)
    p.add_argument("--model", action="append", help="generator preset (repeatable)")
    p.add_argument("--encoder", action="append", help="VAE encoder preset (repeatable)")
    p.add_argument("--samples", type=SAMPLES, default=5000)
    p.add_argument("--activations", action=argparse.BooleanOptionalAction, default=None)
    p.add_argument("--top", type=integer(1, 100_000), default=50)
    for command in ("grid", "sample"):
        p = sub.add_parser(command)
        _common(p, data=True)
        _pca_source(p)
        p.add_argument("--at", type=_at, default="mean", help="'mean' or a seed index whose coordinates are held")
        p.add_argument("--components", type=integers(0, 100_000, as_text=True), default="0,1,2,3,4")
        p.add_argument("--steps", type=integer(1, 101), default=7)
        p.add_argument("--span", type=number(0, 1000), default=3.0)
        p.add_argument("--layers", type=_layers, default=None, help="StyleGAN (--space w): edit layers START:STOP only")
        p.add_argument("--num-components", type=integer(1, 100_000), default=None)
        p.add_argument("--count-samples", type=integer(1, 1024), default=16)
    for command in ("attribute", "directions"):
        p = sub.add_parser(command)
        _common(p, data=True)
        _edit(p)
        _pca_source(p)
        p.add_argument("--label", default="gender", help="with --encoder: a rule on a label, e.g. age>=40")
        p.add_argument("--name", type=name, default=None)
        p.add_argument("--chosen-fraction", type=number(0, 0.5, above=0), default=0.2,
                       help="InterFaceGAN: top/bottom fraction")
        p.add_argument("--tasks", default="", help="directions: comma list of WHAT@CLASSIFIER: a classifier task "
                       "(InterFaceGAN), or with --encoder a label rule, e.g. gender@P,age>=40@P")
    p = sub.add_parser("edit")
    _common(p, data=True)
    _edit(p)
    p.add_argument("--directions", required=True, help="preset or folder with directions.npz")
    p.add_argument("--direction", type=name, required=True)
    p.add_argument("--condition", default=None, help="comma list of directions to hold fixed")
    p.add_argument("--latent", default=None, help="projection.npz from 'project'")
    p.add_argument("--image", default=None, help="a photo, encoded with --encoder")
    p.add_argument("--lacking", default=None, metavar="RULE",
                   help="edit --edit-count real faces (--data, --split) for which the label rule is false, e.g. "
                        "gender (men, to edit towards women) or age>=40 (the young): encoded with --encoder, or "
                        "projected (--projection-steps); also decodes the direction alone")
    p.add_argument("--projection-steps", type=integer(1, 100_000), default=100,
                   help="--lacking without --encoder: projection steps per face")
    _no_align(p)
    for command in ("interpolate", "matrix"):
        p = sub.add_parser(command)
        _common(p, data=True)
        p.add_argument("--seeds", type=integers(0, 2**32 - 1, as_text=True), default=None)
        p.add_argument("--images", default=None, help="comma-separated photos (with --encoder)")
        _no_align(p)
        p.add_argument("--steps", type=integer(2, 33 if command == "matrix" else 1001),
                       default=7 if command == "matrix" else 9)
    p = sub.add_parser("arithmetic")
    _common(p, data=True)
    for term, example in (("a", "gender=0&age>=60 (old men)"), ("b", "gender=0&age<=30 (young men)"),
                          ("c", "gender=1&age<=30 (young women)")):
        p.add_argument(f"--{term}", required=True, help=f"term {term.upper()}: label rules joined by &, e.g. {example}")
    p.add_argument("--per-term", type=integer(1, 256), default=8, help="test faces averaged per term")
    p.add_argument("--show", type=integer(1, 16), default=6, help="faces shown per term")
    p.add_argument("--measure", action="append", metavar="TASK@CLASSIFIER",
                   help="score every image with a classifier preset, e.g. gender@classifier_gender_utkface_48")
    p.add_argument("--projection-steps", type=integer(1, 100_000), default=100,
                   help="without --encoder: projection steps per face")
    p.add_argument("--classifier", default=None, help="without --encoder: the projection's perceptual classifier")
    p = sub.add_parser("restore")
    _common(p, data=True)
    p.add_argument("--filter-size", type=integer(1, 99), default=3)
    p.add_argument("--noise-std", type=numbers(0, 10, as_text=True), default="0.2",
                   help="comma list of Gaussian noise stds on [-1, 1]")
    p.add_argument("--show", type=integer(1, 64), default=6)
    p.add_argument("--strength", type=_strengths, default=None,
                   help="diffusion --model: SDEdit strengths in (0, 1], comma list, one row each (default 0.5)")
    p = sub.add_parser("project")
    _common(p)
    _edit(p)
    p.add_argument("--image", required=True)
    _no_align(p)
    p.add_argument("--steps", type=integer(1, 100_000), default=300, help="optimisation steps")
    p.add_argument("--lr", type=number(0, 100, above=0), default=0.1)
    p.add_argument("--perceptual-weight", type=number(0, 1e6), default=1.0)
    p.add_argument("--directions", default=None)
    p.add_argument("--direction", type=name, default=None, help="edit the projected latent along this stored direction")
    p.add_argument("--encoder", default=None, help="start from this encoder's latent of the photo (a VAE's encoder, "
                   "or a GAN's inversion encoder from train-inverter) instead of the mean latent")
    p.add_argument("--pivotal-steps", type=integer(0, 100_000), default=0,
                   help="pivotal tuning: fine-tune a copy of the generator this many steps at the projected latent "
                        "(lr 3e-4, pixel + perceptual loss), then edit with it (0: off)")
    p = sub.add_parser("train-inverter")
    _common(p, space=False)
    p.add_argument("--steps", type=integer(1, 10_000_000), default=2000)
    p.add_argument("--batch-size", type=integer(1, 4096), default=64)
    p.add_argument("--lr", type=number(0, 1, above=0), default=1e-3)
    p.add_argument("--pixel-weight", type=number(0, 1e6), default=1.0, help="weight of ||G(E(G(z))) - G(z)||^2")
    p.add_argument("--base-filters", type=integer(1, 1024), default=32)
    p.set_defaults(space="z")
    p = sub.add_parser("scatter")
    _common(p, model=False, space=False, data=True)
    p.add_argument("--label", type=name, default="gender", help="gender, race, age_bucket or any label column")
    p = sub.add_parser("mean-faces")
    _common(p, model=False, space=False, data=True)
    p.add_argument("--model", default=None, help="decoder for the decoded mean latents (with --encoder)")
    p.set_defaults(space="z")
    return parser


def check_args(args) -> None:
    """What the parser's types cannot see, checked before TensorFlow is imported: the models and files named exist,
    --out can be written, and every name that becomes part of a file name is safe (``check_name``)."""
    check_output_folder(args.out)
    models = getattr(args, "model", None)
    models = models if isinstance(models, list) else [models]
    encoders = args.encoder if isinstance(getattr(args, "encoder", None), list) else [getattr(args, "encoder", None)]
    for flag, values in (("--model", models), ("--encoder", encoders),
                         ("--classifier", [getattr(args, "classifier", None)])):
        for spec in values:
            if spec and not spec.endswith(".onnx"):
                check_model(spec, flag)
    if getattr(args, "directions", None):
        check_model(args.directions, "--directions")
    for flag in ("image", "latent"):
        path = getattr(args, flag, None)
        if path and not os.path.isfile(path):
            raise UsageError(f"--{flag} {path}: {'photo not found' if flag == 'image' else 'no such file'}")
    for path in (getattr(args, "images", None) or "").split(","):
        if path and not os.path.isfile(path):
            raise UsageError(f"--images: photo not found: {path}")
    if getattr(args, "latent", None):
        _check_latent_file(args.latent)
    if args.command == "attribute" and not args.name:
        check_name(args.task if not args.encoder else args.label, "--label" if args.encoder else "--task")
    for spec in getattr(args, "measure", None) or []:
        what, _, preset = spec.partition("@")
        if not preset:
            raise UsageError(f"--measure {spec!r}: expected TASK@CLASSIFIER, e.g. age@classifier_age_utkface_48")
        _task(what, f"--measure {spec!r}: the task ")
        check_model(preset, f"--measure {spec!r}: the classifier")
    for spec in (args.tasks.split(",") if getattr(args, "tasks", "") else []):
        what, _, preset = spec.partition("@")
        if args.encoder:
            check_name(re.split(r"[<>=:]", what)[0], f"--tasks {spec!r}: the label")
        else:
            _task(what, f"--tasks {spec!r}: the task ")
        if preset:
            check_model(preset, f"--tasks {spec!r}: the classifier")


def _check_latent_file(path: str) -> None:
    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as f:
            if not hasattr(f, "files") or "latent" not in f.files:
                raise UsageError(f"--latent {path}: no 'latent' array (expected the projection.npz of 'project')")
    except UsageError:
        raise
    except (ValueError, OSError, EOFError):  # a pickle, a text file, a truncated archive
        raise UsageError(f"--latent {path}: not a .npz of arrays; expected the projection.npz of 'project'") from None


def run(args) -> dict:
    from zoo.latent import arithmetic, commands, inversion, real

    table = {"pca": commands.cmd_pca, "grid": commands.cmd_grid, "sample": commands.cmd_sample,
             "attribute": commands.cmd_attribute, "directions": commands.cmd_directions, "edit": commands.cmd_edit,
             "interpolate": real.cmd_interpolate, "arithmetic": arithmetic.cmd_arithmetic, "matrix": real.cmd_matrix,
             "restore": real.cmd_restore,
             "project": real.cmd_project, "scatter": real.cmd_scatter, "mean-faces": real.cmd_mean_faces,
             "train-inverter": inversion.cmd_train_inverter}
    return table[args.command](args)


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    prog = f"{PROG} {args.command}"
    code = run_command(prog, lambda: check_args(args))  # before TensorFlow: a typo costs no start-up
    if code:
        return code
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return run_command(prog, lambda: _run_and_report(args, argv))


def _run_and_report(args, argv) -> int:
    from zoo.utils.io import write_json

    start = time.time()
    report = run(args)
    report = {"command": [PROG, *argv], "seconds": round(time.time() - start, 1), **report}
    # directions.json is the direction set's own file; the command's report goes beside it.
    path = os.path.join(args.out, "directions_report.json" if args.command == "directions" else
                        f"{args.command}.json")
    write_json(path, report)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
