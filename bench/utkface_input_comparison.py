"""Compare UTKFace classifier checkpoints trained with different inputs (e.g. 48 px greyscale vs 64 px colour)
after the same number of epochs, on the same validation and test split.

    python -m bench.utkface_input_comparison RUN_DIR[@CKPT_DIR] RUN_DIR[@CKPT_DIR] ... [--recalibrate 100]

Each argument is a run folder of ``recipes.utkface_classifiers`` (its config.json gives the input size, channels,
task and split seed), optionally with ``@`` and a checkpoint folder (default: the run's latest). After few
epochs the batch-norm moving statistics (momentum 0.99) have not converged yet, so by default each model's
statistics are first re-estimated on ``--recalibrate`` training batches (no weight update), the same for all.
Prints a markdown table of validation and test metrics.
"""

from __future__ import annotations

import argparse
import os
import sys


def recalibrate_batch_norm(classifier, dataset, steps: int, momentum: float = 0.9) -> None:
    """Re-estimate every BatchNormalization layer's moving mean / variance from ``steps`` batches of ``dataset``
    (images, labels) in training mode; weights are not changed. Keeps each layer's own momentum afterwards."""
    import keras

    norms = [layer for layer in classifier._flatten_layers() if isinstance(layer, keras.layers.BatchNormalization)]
    saved = [n.momentum for n in norms]
    for n in norms:
        n.momentum = momentum
    for images, _ in dataset.take(steps):
        classifier(images, training=True)
    for n, m in zip(norms, saved):
        n.momentum = m


def evaluate_run(spec: str, recalibrate: int):
    import numpy as np

    from recipes import utkface_classifiers as uc
    from zoo.classification.dataset import make_labelled_dataset
    from zoo.classification.evaluation import evaluate, headline, predict_dataset
    from zoo.data.splits import split_indices, split_seed
    from zoo.training.checkpoint import latest_checkpoint, load_checkpoint
    from zoo.training.cli import config_from_dict
    from zoo.training.setup import load_training_source, steps_for
    from zoo.utils.io import read_json

    run_dir, _, ckpt = spec.partition("@")
    cfg = config_from_dict(uc.Config, read_json(os.path.join(run_dir, "config.json")))
    ckpt = ckpt or latest_checkpoint(os.path.join(run_dir, "checkpoints"))
    source = load_training_source(cfg)
    parts = split_indices(len(source), cfg.split, split_seed(cfg))  # the run's own split, --split-seed included
    train_src, val_src, test_src = (source.subset(parts[k]) for k in ("train", "validation", "test"))
    ages = np.asarray(train_src.labels["age"], np.float64)
    per_epoch, _ = steps_for(len(train_src), cfg.batch_size, cfg.epochs, cfg.steps)
    trainer = uc.build(cfg, per_epoch, round(float(ages.mean()), 2), round(float(max(ages.std(), 1.0)), 2))
    trainer.build_all()
    state = load_checkpoint(ckpt, trainer.checkpoint_variables())
    if recalibrate:
        recalibrate_batch_norm(trainer.classifier, make_labelled_dataset(train_src, cfg, training=True),
                               recalibrate)
    row = {"input": f"{cfg.image_size} px {'grey' if cfg.channels == 1 else 'colour'}",
           "task": cfg.task, "epochs": round(int(state["step"]) / per_epoch, 2)}
    for name, src in (("val", val_src), ("test", test_src)):
        out, lab, _ = predict_dataset(trainer.classifier, make_labelled_dataset(src, cfg, training=False))
        row.update({f"{name}_{k}": v for k, v in headline(evaluate(out, lab)).items()
                    if not k.endswith("macro_f1")})
    return row


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.utkface_input_comparison", description=__doc__)
    parser.add_argument("runs", nargs="+", help="RUN_DIR or RUN_DIR@CHECKPOINT_DIR")
    parser.add_argument("--recalibrate", type=int, default=100, help="training batches for batch-norm statistics")
    args = parser.parse_args(argv)
    rows = [evaluate_run(spec, args.recalibrate) for spec in args.runs]
    keys = list(rows[0])
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for r in rows:
        print("| " + " | ".join(str(r.get(k, "")) for k in keys) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
