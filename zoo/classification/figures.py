"""The classifier chapter's figures of a run (the UTKFace study, paper 003): its training losses coloured by epoch,
its validation curves with the epoch whose weights were kept, and the feature maps of one face after each layer.

    python -m zoo.classification.figures RUN [--image FACE.jpg] [--out DIR]

Writes ``training_curves.png`` and ``feature_maps.png`` into ``RUN/report/`` (or ``--out``); a classifier run writes
them into its report at the end of training. The face defaults to the first face of the run's test split (in name
order), read from the run's data folder; ``--image`` takes any face image, read as the training pipeline reads a chip
(its central square, resized; align a photo first with ``python -m zoo.data.align``). The feature maps are those of
the run's preset (``RUN/preset``), the weights its report measured.
"""

from __future__ import annotations

import csv
import os
import sys

PROG = "python -m zoo.classification.figures"
FIGURES = ("training_curves.png", "feature_maps.png")


class FiguresError(ValueError):
    """A run folder or face that cannot give the figures, in one sentence."""


def _loss_keys(fields: list[str]) -> list[str]:
    return [k for k in fields if k == "loss" or k.endswith("_loss")]


def training_curves(run_dir: str, path: str) -> None:
    """``training_curves.png`` from the run's ``logs/metrics.csv``, ``logs/validation.csv`` and ``best.json``."""
    from zoo.metrics.classification_plots import plot_training_curves
    from zoo.training.metrics_file import read_metrics
    from zoo.utils.io import read_json

    fields, rows, _ = read_metrics(os.path.join(run_dir, "logs", "metrics.csv"))
    if not rows:
        raise FiguresError(f"{run_dir} has no logs/metrics.csv rows: not a classifier run, or it has not logged yet")
    keys = _loss_keys(fields)
    validation = []
    val_path = os.path.join(run_dir, "logs", "validation.csv")
    if os.path.isfile(val_path):
        with open(val_path, newline="") as f:
            validation = list(csv.DictReader(f))
    best_path = os.path.join(run_dir, "best.json")
    best = read_json(best_path).get("epoch") if os.path.isfile(best_path) else None
    plot_training_curves(path, [float(r["step"]) for r in rows], [int(float(r["epoch"])) for r in rows],
                         {k: [float(r[k]) for r in rows] for k in keys}, validation, best,
                         title=f"{os.path.basename(os.path.normpath(run_dir))}: training and validation")


def default_face(run_dir: str) -> str:
    """The first test-split face of the run (name order), from its split.csv and its config's data folder."""
    from zoo.utils.io import read_json

    cfg = read_json(os.path.join(run_dir, "config.json"))
    split = os.path.join(run_dir, "split.csv")
    data_dir = cfg.get("data_dir")
    if cfg.get("data") != "utkface" or not os.path.isfile(split) or not data_dir or not os.path.isdir(data_dir):
        raise FiguresError(f"{run_dir}: no UTKFace folder to take a test face from (data {cfg.get('data')!r}, folder "
                           f"{data_dir!r}); give --image FACE")
    with open(split, newline="") as f:
        names = sorted(r["file"] for r in csv.DictReader(f) if r["split"] == "test")
    if not names:
        raise FiguresError(f"{split} lists no test face; give --image FACE")
    return os.path.join(data_dir, names[0])


def has_feature_maps(model) -> bool:
    """Whether ``model`` has one stack of feature layers to draw (a FaceClassifier; an ensemble has several)."""
    return hasattr(getattr(model, "features", None), "maps")


def feature_maps(model, face, path: str, per_layer: int = 8, name: str = "a test face") -> None:
    """``feature_maps.png``: ``face`` (an image file, or one model input [S, S, C] in [-1, 1]) as the model sees
    it, and its activations after each layer."""
    import numpy as np

    from zoo.metrics.classification_plots import plot_feature_maps

    if isinstance(face, str):
        from zoo.data.files import read_image
        from zoo.data.transforms import model_input

        x, name = model_input(read_image(face, channels=3), model.image_size, model.channels), os.path.basename(face)
    else:
        x = np.asarray(face, np.float32)[None]
    maps = [(label, np.asarray(a)[0]) for label, a in model.features.maps(x)]
    plot_feature_maps(path, x[0], maps, per_layer,
                      title=f"{name}: {model.image_size} px {'grey' if model.channels == 1 else 'colour'} input, "
                            f"feature maps after each layer")


def write_figures(run_dir: str, out_dir: str | None = None, image: str | None = None) -> list[str]:
    """Both figures of a classifier run, the feature maps of its preset; returns their paths. ``image``: a face
    file (default: the run's first test face)."""
    from zoo.registry import from_preset

    out_dir = out_dir or os.path.join(run_dir, "report")
    os.makedirs(out_dir, exist_ok=True)
    paths = [os.path.join(out_dir, f) for f in FIGURES]
    training_curves(run_dir, paths[0])
    preset = os.path.join(run_dir, "preset")
    if not os.path.isfile(os.path.join(preset, "config.json")):
        raise FiguresError(f"{run_dir} has no preset/ yet (written at the end of training)")
    model = from_preset(preset)
    if not has_feature_maps(model):
        raise FiguresError(f"the run's model is a {type(model).__name__}, not a FaceClassifier with feature maps")
    feature_maps(model, default_face(run_dir) if image is None else image, paths[1])
    return paths


def main(argv=None) -> int:
    from zoo.utils.arguments import documented_parser

    p = documented_parser(PROG, __doc__)
    p.add_argument("run_dir", help="a classifier run folder (python -m recipes.utkface_classifiers --out ...)")
    p.add_argument("--image", help="the face whose feature maps are drawn (default: the run's first test face)")
    p.add_argument("--out", help="folder for the figures (default: RUN/report)")
    args = p.parse_args(argv)
    from zoo.data.errors import DataError
    from zoo.registry import PresetError

    if not os.path.isfile(os.path.join(args.run_dir, "config.json")):
        print(f"{PROG}: error: {args.run_dir} is not a run folder (no config.json)", file=sys.stderr)
        return 2
    try:
        for path in write_figures(args.run_dir, args.out, args.image):
            print(path)
    except (FiguresError, DataError, PresetError) as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
