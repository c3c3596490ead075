"""Paper 003's M(d, beta) grid on real faces: the four conv VAEs' held-out reconstructions and their restoration of
noisy faces at two noise levels (and erased blocks) against mean and median filters, one JSON and two figures.

    python -m recipes.utkface_vae --data-dir ../shared/data/utkface --grid --epochs 5 --out runs/p003/grid
    python -m bench.vae_grid --grid runs/p003/grid/00000-utkface_vae --name utkface48 \\
        --data-dir ../shared/data/utkface [--count 500] [--noise-std 0.2,0.5]

The grid run (``recipes.utkface_vae --grid``) trains M(4, 1), M(4, 0.01), M(256, 1) and M(256, 0.01) one after
another on the train and validation parts and scores each on up to ``--eval-images`` faces of the test part (its
``comparison.json``). This command adds, for each model, ``python -m zoo.latent restore`` on ``--count`` faces of
the same test part (the same faces and the same noise for every model), and each model's KL and reconstruction term
at the end of training (a KL near 0 is a collapsed posterior; a KL in the millions an exploded log-variance).

Writes ``docs/data/vae_grid_<name>.json`` (``python -m docs.generate`` renders its tables into the docs),
``docs/images/vae_grid_<name>.png`` (test faces, then each model's reconstructions, labelled) and
``docs/images/vae_grid_<name>_restoration.png`` (the restoration figure of the model with the best held-out PSNR),
and prints the tables.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROG = "python -m bench.vae_grid"


def grid_models(grid_dir: str) -> dict:
    """The grid run's comparison.json, its models' sub-run folders checked: {model name: entry}."""
    from zoo.utils.io import read_json

    path = os.path.join(grid_dir, "comparison.json")
    if not os.path.isfile(path):
        raise ValueError(f"{grid_dir} has no comparison.json: not a finished run of "
                         f"python -m recipes.utkface_vae --grid")
    models = read_json(path)["models"]
    for name, entry in models.items():
        run = entry["run_dir"] if os.path.isabs(entry["run_dir"]) else os.path.join(ROOT, entry["run_dir"])
        if not os.path.isfile(os.path.join(run, "config.json")):
            raise ValueError(f"{name}: its run folder {entry['run_dir']} is missing")
        entry["run_dir"] = run
    return models


def restore(run_dir: str, data: str, data_dir: str | None, count: int, noise_std: str, out: str) -> dict:
    """``python -m zoo.latent restore`` of one grid model (its decoder, its encoder) on the test part."""
    from zoo.latent.__main__ import main as latent_main
    from zoo.utils.io import read_json

    argv = ["restore", "--model", run_dir, "--encoder", f"{run_dir}:encoder", "--data", data,
            *(["--data-dir", data_dir] if data_dir else []), "--count", str(count), "--split", "test",
            "--noise-std", noise_std, "--out", out]
    if latent_main(argv) != 0:
        raise RuntimeError(f"zoo.latent {' '.join(argv)} failed")
    report = read_json(os.path.join(out, "restore.json"))
    report["command"] = "python -m zoo.latent " + " ".join(argv[:-2] + ["--out", "OUT"])
    return report


def training_end(run_dir: str) -> dict:
    """The last logged KL and reconstruction terms (summed over pixels, per image) and the steps trained."""
    from zoo.runs import last_metrics

    last = last_metrics(run_dir)
    return {k: last.get(k) for k in ("kl", "reconstruction", "step")}


def plot_comparison(grid_dir: str, models: dict, path: str) -> None:
    """The grid run's comparison.png, labelled: the test faces, then each model's reconstruction of them."""
    from PIL import Image

    from zoo.utils.plotting import new_figure, save_figure

    labels = ["test faces"] + [f"{m} reconstructions" for m in models]
    image = Image.open(os.path.join(grid_dir, "comparison.png"))
    plt, fig = new_figure(figsize=(8, 0.85 * len(labels)))
    ax = fig.add_subplot(1, 1, 1)
    ax.imshow(image, cmap="gray")
    ax.set_xticks([])
    ax.set_yticks([(i + 0.5) * image.height / len(labels) for i in range(len(labels))])
    ax.set_yticklabels(labels, fontsize=8)
    ax.set_title("the M(d, beta) grid on held-out UTKFace faces (48 px grey)", fontsize=9)
    save_figure(plt, fig, path)


def main(argv=None) -> int:
    from zoo.utils.arguments import documented_parser

    p = documented_parser(PROG, __doc__)
    p.add_argument("--grid", required=True, help="the grid run folder (recipes.utkface_vae --grid)")
    p.add_argument("--name", required=True, help="the grid's name (file names)")
    p.add_argument("--data", default="utkface", help="the grid's dataset")
    p.add_argument("--data-dir", help="its folder")
    p.add_argument("--count", type=int, default=500, help="test faces restored per model")
    p.add_argument("--noise-std", default="0.2,0.5", help="Gaussian noise stds on [-1, 1], comma-separated")
    p.add_argument("--out", default=os.path.join(ROOT, "docs"), help="docs folder (data/ and images/ inside)")
    args = p.parse_args(argv)
    try:
        models = grid_models(args.grid)
    except (ValueError, KeyError) as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    from zoo.utils.io import read_json, write_json

    result = {"name": args.name, "command": f"{PROG} " + " ".join(argv if argv is not None else sys.argv[1:]),
              "grid_command": read_json(os.path.join(args.grid, "command.json")).get("argv"),
              "heldout": read_json(os.path.join(args.grid, "comparison.json"))["heldout"], "models": {}}
    os.makedirs(os.path.join(args.out, "images"), exist_ok=True)
    best = max(models, key=lambda m: models[m]["heldout"]["psnr"]["mean"])
    with tempfile.TemporaryDirectory() as tmp:
        for name, entry in models.items():
            out = os.path.join(tmp, name)
            report = restore(entry["run_dir"], args.data, args.data_dir, args.count, args.noise_std, out)
            result["models"][name] = {"heldout": entry["heldout"], "steps": entry["steps"],
                                      "training_end": training_end(entry["run_dir"]),
                                      "restoration": report["table"], "restore_command": report["command"],
                                      "restored_faces": report["images"]}
            if name == best:
                shutil.copy(os.path.join(out, "restoration.png"),
                            os.path.join(args.out, "images", f"vae_grid_{args.name}_restoration.png"))
    result["restoration_figure_model"] = best
    os.makedirs(os.path.join(args.out, "data"), exist_ok=True)
    write_json(os.path.join(args.out, "data", f"vae_grid_{args.name}.json"), result)
    plot_comparison(args.grid, models, os.path.join(args.out, "images", f"vae_grid_{args.name}.png"))
    from docs.vae_grid import render

    print(render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
