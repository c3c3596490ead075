"""UTKFace classifiers (chapter 1 of the UTKFace study): gender, ethnicity and age from 48x48 greyscale faces.

    python -m recipes.utkface_classifiers --task gender --data-dir ../shared/data/utkface
    python -m recipes.utkface_classifiers --task all --data-dir ../shared/data/utkface   # multi-task model
    python -m recipes.utkface_classifiers --task all --channels 3 --image-size 64 ...    # colour, 64 px
    python -m recipes.utkface_classifiers --data synthetic --task all --image-size 16 --steps 2   # no download
    python -m recipes.utkface_classifiers predict --preset classifier_gender_utkface_48 face.jpg more/   # a table
    python -m recipes.utkface_classifiers predict --preset classifier_gender_utkface_48 --all-faces group.jpg
    python -m recipes.utkface_classifiers predict --preset classifier_multitask_utkface_48 faces/ --csv out.csv
    python -m recipes.utkface_classifiers export-presets RUN_DIR --dest zoo/presets   # built-in presets of a run

``predict`` finds each photo's face (MTCNN) and aligns it to the UTKFace chips' mean landmarks before reading it
(one row per face, with its box; ``--no-align``: the photo's central square, as before). ``--task all`` trains
the multi-task model (three heads on one trunk). The run folder gets the split
(``split.json``, ``split.csv``), checkpoints, ``logs/metrics.csv`` and ``logs/validation.csv``, the best
weights by validation score, and, at the end, ``report.md`` with its plots and a preset in ``preset/``.
The parts (labelled data, evaluation, report, predict, ensemble, presets) live in ``zoo.classification`` and the
split in ``zoo.data.splits``; this module chooses and wires them.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from typing import Literal

from zoo.classification.dataset import TASK_SETS
from zoo.training.cli import RunOptions

NAME = "utkface_classifiers"


@dataclasses.dataclass(frozen=True)
class Config(RunOptions):
    """UTKFace study: 48x48 greyscale, three [conv, ReLU, pool, BN] blocks, LeakyReLU prediction network, 10
    epochs with lr(E) = 1 / (2000 (1 + E)), random 7:2:1 train/validation/test split."""

    task: Literal["gender", "ethnicity", "age", "all"] = "gender"  # the heads: one task, or all three on one trunk
    data: Literal["utkface", "synthetic"] = "utkface"  # training images (synthetic: rendered faces, no download)
    data_dir: str | None = None  # dataset folder (UTKFace: or its .csv); default $FACEZOO_DATA/<data>, else data/<data>
    image_size: int = 48  # input image side, pixels
    channels: int = 1  # 1 greyscale (the study), 3 colour
    filters: tuple[int, ...] = (32, 64, 128)  # filters of each [conv, ReLU, pool, BN] block
    dense_units: int = 128  # units of each head's hidden layer
    dropout: float = 0.3  # dropout rate in each head
    bn_momentum: float = 0.99  # Keras' default; 0.9 settles the inference statistics faster in short runs
    batch_size: int = 64  # images per training step
    epochs: int = 10  # passes over the training split
    steps: int = 0  # cap on total steps; 0 = epochs * steps per epoch
    lr_denominator: float = 2000.0  # lr(E) = 1 / (lr_denominator * (1 + E))
    age_loss: Literal["mse", "l1", "huber"] = "mse"  # mse: the study's; l1 optimises the reported MAE directly
    flip: bool = True  # random horizontal flips of training images (beyond the study)
    shift: float = 0.0  # random translation of training images by up to this fraction of the size (beyond the study)
    # scale, rotation, shift, light, colour and blur drawn per image, every range times this (1: 0.91-1.1, 10 degrees,
    # 6 %, ...; zoo.classification.photo_augment); 0 = none (the study). What aligned photos still differ by (beyond it)
    photo_augment: float = 0.0
    test_time_flip: bool = False  # predict the mean of each face and its mirror (validation, test, preset)
    age_clip: bool = True  # clamp predicted ages to the training split's range at inference (validation, test, preset)
    split: tuple[float, ...] = (0.7, 0.2, 0.1)  # train, validation, test
    split_seed: int = -1  # seed of the split; -1 = --seed. Runs that differ only in --seed then share one test set
    train_on: Literal["all"] = "all"  # the recipe splits the data itself (--split, --split-seed)
    num_synthetic: int = 1000
    log_every: int = 20
    num_samples: int = 32


# -- build / run ----------------------------------------------------------------------------------------------
def build(cfg: Config, steps_per_epoch: int = 1, age_offset: float = 33.0, age_scale: float = 20.0,
          age_range: tuple[float, float] | None = None):
    """The compiled ClassifierTrainer (Adam with the study's epoch schedule) of a FaceClassifier for ``cfg``;
    its predicted ages are clamped to ``age_range`` when ``cfg.age_clip``."""
    import keras

    from zoo.models.face_classifier import FaceClassifier
    from zoo.trainers import ClassifierTrainer
    from zoo.training.schedules import EpochInverseDecay

    keras.utils.set_random_seed(cfg.seed)
    classifier = FaceClassifier(TASK_SETS[cfg.task], cfg.image_size, cfg.channels, cfg.filters, cfg.dense_units,
                                cfg.dropout, age_offset=age_offset, age_scale=age_scale, bn_momentum=cfg.bn_momentum,
                                test_time_flip=cfg.test_time_flip, age_range=age_range if cfg.age_clip else None,
                                name="classifier")
    trainer = ClassifierTrainer(classifier, age_loss=cfg.age_loss)
    trainer.compile(optimizer=keras.optimizers.Adam(EpochInverseDecay(steps_per_epoch, cfg.lr_denominator)),
                    jit_compile=cfg.jit_compile)
    return trainer


def run(cfg: Config, run_dir: str, resume: bool = False):
    import numpy as np

    from zoo.classification.best_on_validation import best_on_validation
    from zoo.classification.dataset import make_labelled_dataset
    from zoo.classification.report import write_report
    from zoo.data.errors import DataError
    from zoo.data.splits import split_indices, split_seed, write_split
    from zoo.training.loop import train
    from zoo.training.setup import load_training_source, steps_for

    if cfg.channels not in (1, 3):
        raise DataError(f"--channels must be 1 (greyscale) or 3 (colour), got {cfg.channels}")
    if not 0.0 <= cfg.shift < 0.5:
        raise DataError(f"--shift must be a fraction of the image size in [0, 0.5), got {cfg.shift}")
    if not 0.0 <= cfg.photo_augment <= 3.0:
        raise DataError(f"--photo-augment must be a strength in [0, 3] (1: the documented ranges), got {cfg.photo_augment}")
    source = load_training_source(cfg, whole_batches=False)
    try:
        parts = split_indices(len(source), cfg.split, split_seed(cfg))
        split_info = write_split(run_dir, source, parts, cfg)
    except ValueError as e:
        raise DataError(str(e)) from e
    train_src, val_src, test_src = (source.subset(parts[k]) for k in ("train", "validation", "test"))
    print(f"split (seed {split_seed(cfg)}): " + ", ".join(f"{k} {v}" for k, v in split_info["counts"].items()), flush=True)
    # The age head starts at the training split's mean and scale, and its predictions are clamped to the training
    # ages' range (all stored in the model's config).
    ages = np.asarray(train_src.labels["age"], np.float64)
    age_offset, age_scale = round(float(ages.mean()), 2), round(float(max(ages.std(), 1.0)), 2)
    age_range = (float(ages.min()), float(ages.max())) if ages.min() < ages.max() else None
    per_epoch, total = steps_for(len(train_src), cfg.batch_size, cfg.epochs, cfg.steps)
    trainer = build(cfg, per_epoch, age_offset, age_scale, age_range)
    classifier = trainer.classifier
    val_ds = make_labelled_dataset(val_src, cfg, training=False)
    best_cb, best_weights, best_json = best_on_validation(classifier, val_ds, run_dir, age_scale)
    state = train(trainer, lambda off: make_labelled_dataset(train_src, cfg, training=True, seed_offset=off),
                  run_dir, steps_per_epoch=per_epoch, total_steps=total, resume=resume,
                  checkpoint_every=cfg.checkpoint_every, keep_checkpoints=cfg.keep_checkpoints,
                  log_every=cfg.log_every, extra_callbacks=[best_cb])
    if state.step < total:
        return trainer, state
    write_report(cfg, run_dir, source, parts, split_info, classifier, test_src, best_weights, best_json, recipe=NAME)
    return trainer, state


def describe(cfg: Config):
    from zoo.data.splits import split_seed

    return [f"tasks: {', '.join(TASK_SETS[cfg.task])} ({'multi-task, one trunk' if cfg.task == 'all' else 'one head'})",
            f"optimizer: Adam, lr(E) = 1 / ({cfg.lr_denominator:g} (1 + E)) per epoch E",
            f"losses: cross-entropy (gender, ethnicity), {cfg.age_loss.upper()} in training-age standard deviations (age)",
            f"split: train/validation/test {list(cfg.split)} with seed {split_seed(cfg)}",
            ("inference: mean of each face and its mirror" if cfg.test_time_flip else "inference: one pass")
            + (", ages clamped to the training range" if cfg.age_clip and cfg.task in ("age", "all") else ""),
            f"augmentation: {', '.join(a for a, on in augmentations(cfg) if on) or 'none'}"]


def augmentations(cfg: Config):
    """(words, whether on) for each training augmentation of ``cfg``."""
    from zoo.classification.photo_augment import describe as photo_words

    return (("horizontal flips", cfg.flip), (f"shifts up to {cfg.shift:g} of the size", cfg.shift),
            (f"photo augmentation x{cfg.photo_augment:g} ({photo_words(cfg.photo_augment)})", cfg.photo_augment))


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "predict":
        from zoo.classification.predict import predict_main

        return predict_main(argv[1:], prog=f"python -m recipes.{NAME} predict")
    if argv and argv[0] == "ensemble":
        import argparse

        from zoo.classification.ensemble import ensemble
        from zoo.data.errors import DataError
        from zoo.registry import PresetError

        parser = argparse.ArgumentParser(prog=f"python -m recipes.{NAME} ensemble",
                                         description="Average the best models of finished runs on one split.")
        parser.add_argument("run_dirs", nargs="+")
        parser.add_argument("--out", default="runs", help="parent of the new run folder (default: %(default)s)")
        parser.add_argument("--calibrate-age", action="store_true",
                            help="fit a monotone map from the ensemble's ages to the true ages on the validation "
                                 "split and build it in (the report gives the cross-fitted validation MAE)")
        args = parser.parse_args(argv[1:])
        try:
            ensemble(args.run_dirs, args.out, config_cls=Config, recipe=NAME,
                     command=[f"python -m recipes.{NAME}", *argv], calibrate_age=args.calibrate_age)
        except (DataError, PresetError) as e:
            print(f"{parser.prog}: error: {e}", file=sys.stderr)
            return 2
        return 0
    if argv and argv[0] == "export-presets":
        import argparse

        from zoo.classification.presets import export_presets

        parser = argparse.ArgumentParser(prog=f"python -m recipes.{NAME} export-presets")
        parser.add_argument("run_dir")
        parser.add_argument("--dest", default=os.path.join("zoo", "presets"))
        parser.add_argument("--training-command", default=None)
        args = parser.parse_args(argv[1:])
        from zoo.registry import PresetError

        if not os.path.isfile(os.path.join(args.run_dir, "preset", "metadata.json")):
            print(f"{parser.prog}: error: {args.run_dir} has no preset/ (a finished run of this recipe writes one)",
                  file=sys.stderr)
            return 2
        try:
            written = export_presets(args.run_dir, args.dest, args.training_command)
        except (PresetError, OSError) as e:
            print(f"{parser.prog}: error: {e}", file=sys.stderr)
            return 2
        for path in written:
            print(f"wrote {path}")
        return 0
    from zoo.training.recipe import run_recipe

    return run_recipe(NAME, Config, run, argv, describe)


if __name__ == "__main__":
    sys.exit(main())
