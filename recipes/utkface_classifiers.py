"""UTKFace classifiers (chapter 1 of the UTKFace study): gender, ethnicity and age from 48x48 greyscale faces.

    python -m recipes.utkface_classifiers --task gender --data-dir ../shared/data/utkface
    python -m recipes.utkface_classifiers --task all --data-dir ../shared/data/utkface   # multi-task model
    python -m recipes.utkface_classifiers --task all --channels 3 --image-size 64 ...    # colour, 64 px
    python -m recipes.utkface_classifiers --data synthetic --task all --image-size 16 --steps 2   # no download
    python -m recipes.utkface_classifiers predict --preset classifier_gender_utkface_48 face.jpg more/   # a table
    python -m recipes.utkface_classifiers predict --preset classifier_multitask_utkface_48 faces/ --csv out.csv
    python -m recipes.utkface_classifiers export-presets RUN_DIR --dest zoo/presets   # built-in presets of a run

``--task all`` trains the multi-task model (three heads on one trunk). The run folder gets the split
(``split.json``, ``split.csv``), checkpoints, ``logs/metrics.csv`` and ``logs/validation.csv``, the best
weights by validation score, and, at the end, ``report.md`` with its plots and a preset in ``preset/``.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from typing import Literal

from zoo.training.cli import RunOptions

NAME = "utkface_classifiers"
TASK_SETS = {"gender": ("gender",), "ethnicity": ("ethnicity",), "age": ("age",),
             "all": ("gender", "ethnicity", "age")}
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp")


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
    test_time_flip: bool = False  # predict the mean of each face and its mirror (validation, test, preset)
    age_clip: bool = True  # clamp predicted ages to the training split's range at inference (validation, test, preset)
    split: tuple[float, ...] = (0.7, 0.2, 0.1)  # train, validation, test
    split_seed: int = -1  # seed of the split; -1 = --seed. Runs that differ only in --seed then share one test set
    num_synthetic: int = 1000
    log_every: int = 20
    num_samples: int = 32


# -- split ---------------------------------------------------------------------------------------------------
def split_indices(n: int, proportions=(0.7, 0.2, 0.1), seed: int = 0) -> dict:
    """A random partition of ``range(n)`` into train / validation / test with the given proportions (summing to
    1); sizes are rounded down for train and validation, the test set takes the rest. Same seed, same split.

    Returns ``{"train": int64 [n_train], "validation": [...], "test": [...]}`` (each sorted).
    """
    import numpy as np

    p = tuple(float(x) for x in proportions)
    if len(p) != 3 or min(p) < 0 or abs(sum(p) - 1.0) > 1e-6:
        raise ValueError(f"split must be three non-negative proportions summing to 1, got {proportions}")
    order = np.random.default_rng(seed).permutation(n)
    n_train, n_val = int(n * p[0]), int(n * p[1])
    parts = {"train": order[:n_train], "validation": order[n_train:n_train + n_val], "test": order[n_train + n_val:]}
    for name, idx in parts.items():
        if len(idx) == 0:
            raise ValueError(f"the {name} split of {n} images with proportions {p} is empty; use more images")
    return {k: np.sort(v) for k, v in parts.items()}


def split_seed(cfg) -> int:
    """The seed of the train/validation/test split: ``cfg.split_seed``, or ``cfg.seed`` when that is -1."""
    return cfg.seed if cfg.split_seed < 0 else cfg.split_seed


def _write_split(run_dir, source, parts, cfg):
    import csv

    from zoo.utils.io import atomic_path, read_json, write_json

    info = {"seed": split_seed(cfg), "proportions": list(cfg.split), "counts": {k: int(len(v)) for k, v in parts.items()},
            "num_images": len(source), "skipped_files": int(source.skipped)}
    path = os.path.join(run_dir, "split.json")
    if os.path.isfile(path):
        stored = read_json(path)
        if stored["counts"] != info["counts"] or stored["seed"] != info["seed"]:
            raise ValueError(f"{path} records a different split ({stored['counts']}, seed {stored['seed']}) from "
                             f"the data now ({info['counts']}, seed {info['seed']}); start a new run")
    write_json(path, info)
    names = ([os.path.basename(p) for p in source.paths] if source.paths is not None
             else [f"#{i}" for i in range(len(source))])
    with atomic_path(os.path.join(run_dir, "split.csv")) as tmp, open(tmp, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["index", "file", "split"])
        rows = sorted((int(i), part) for part, idx in parts.items() for i in idx)
        for i, part in rows:
            w.writerow([i, names[i], part])
    return info


# -- data -----------------------------------------------------------------------------------------------------
def _to_tasks(images, labels):
    return images, {"gender": labels["gender"], "ethnicity": labels["race"], "age": labels["age"]}


def make_labelled_dataset(source, cfg: Config, *, training: bool, seed_offset: int = 0):
    """Batches ``(images [B, S, S, C] in [-1, 1], {"gender", "ethnicity", "age": [B]})`` of ``source``: infinite,
    shuffled and (with ``cfg.flip`` / ``cfg.shift``) randomly flipped / translated when ``training``, else one
    ordered pass."""
    from zoo.data import make_dataset

    ds = make_dataset(source, cfg.image_size, cfg.batch_size, channels=cfg.channels,
                      labels=("gender", "race", "age"), shuffle=training, seed=cfg.seed * 1_000_003 + seed_offset,
                      repeat=training, drop_remainder=training)
    ds = ds.map(_to_tasks)
    if training and (cfg.flip or cfg.shift):
        seed = cfg.seed * 1_000_003 + seed_offset
        import tensorflow as tf

        def augment(i, xy):
            images = _flip(xy[0], seed, i) if cfg.flip else xy[0]
            return (_shift(images, cfg.shift, seed, i) if cfg.shift else images), xy[1]

        ds = ds.enumerate().map(tf.autograph.experimental.do_not_convert(augment))
    return ds


def _flip(images, seed, index):
    """Each image of the batch mirrored left-right with probability 1/2, seeded by (seed, batch index)."""
    import tensorflow as tf

    coin = tf.random.stateless_uniform((tf.shape(images)[0], 1, 1, 1), seed=tf.stack([tf.cast(seed, tf.int64), index]))
    return tf.where(coin < 0.5, tf.reverse(images, [2]), images)


def _shift(images, fraction, seed, index):
    """Each image of the batch translated by a random whole number of pixels in [-m, m] along each axis,
    m = round(fraction * size), the uncovered border filled by reflection; seeded by (seed, batch index)."""
    import tensorflow as tf

    size = images.shape[1]
    m = int(round(fraction * size))
    if m == 0:
        return images
    padded = tf.pad(images, [[0, 0], [m, m], [m, m], [0, 0]], mode="REFLECT")
    n = tf.shape(images)[0]
    offsets = tf.random.stateless_uniform((n, 2), seed=tf.stack([tf.cast(seed, tf.int64) + 1, index]),
                                          minval=0, maxval=2 * m + 1, dtype=tf.int32)
    rows = offsets[:, :1] + tf.range(size)[None]  # [B, S] rows of the padded image to keep
    cols = offsets[:, 1:] + tf.range(size)[None]
    out = tf.gather(padded, rows, axis=1, batch_dims=1)
    return tf.gather(out, cols, axis=2, batch_dims=1)


def predict_dataset(classifier, ds, keep_images: int = 0):
    """Run ``classifier`` over a finite dataset of ``(images, labels)``: returns ``(outputs, labels, images)``
    as numpy ({task: [N, ...]}, {task: [N]}, the first ``keep_images`` images)."""
    import numpy as np
    import tensorflow as tf

    forward = tf.function(lambda x: classifier(x, training=False))
    outs, labs, kept = {}, {}, []
    for images, labels in ds:
        for k, v in forward(images).items():
            outs.setdefault(k, []).append(np.asarray(v))
        for k, v in labels.items():
            labs.setdefault(k, []).append(np.asarray(v))
        if sum(len(k) for k in kept) < keep_images:
            kept.append(np.asarray(images))
    cat = lambda d: {k: np.concatenate(v) for k, v in d.items()}  # noqa: E731
    imgs = np.concatenate(kept)[:keep_images] if kept else None
    return cat(outs), cat(labs), imgs


def evaluate(outputs, labels) -> dict:
    """Test metrics of the heads present in ``outputs``: classification reports and the age errors."""
    from zoo.data.utkface import GENDERS, RACES
    from zoo.metrics.classification import (accuracy_by_bucket, age_error_by_bucket, classification_report,
                                            regression_report)

    out = {}
    if "gender" in outputs:
        out["gender"] = classification_report(labels["gender"], outputs["gender"], GENDERS)
        out["gender"]["by_age"] = accuracy_by_bucket(labels["gender"], outputs["gender"], labels["age"])
    if "ethnicity" in outputs:
        out["ethnicity"] = classification_report(labels["ethnicity"], outputs["ethnicity"], RACES)
    if "age" in outputs:
        out["age"] = regression_report(labels["age"], outputs["age"])
        out["age"]["by_age"] = age_error_by_bucket(labels["age"], outputs["age"])
    return out


def score(metrics: dict, age_scale: float) -> float:
    """Model-selection score on validation metrics: sum of accuracies minus age MAE / age_scale (higher is
    better)."""
    s = sum(metrics[t]["accuracy"] for t in ("gender", "ethnicity") if t in metrics)
    if "age" in metrics:
        s -= metrics["age"]["mae"] / age_scale
    return float(s)


def headline(metrics: dict) -> dict:
    out = {}
    for t in ("gender", "ethnicity"):
        if t in metrics:
            out[f"{t}_accuracy"] = round(metrics[t]["accuracy"], 4)
            out[f"{t}_macro_f1"] = round(metrics[t]["macro_f1"], 4)
    if "age" in metrics:
        out["age_mae"] = round(metrics["age"]["mae"], 3)
        out["age_rmse"] = round(metrics["age"]["rmse"], 3)
    return out


# -- best checkpoint ------------------------------------------------------------------------------------------
def _best_callback(classifier, val_ds, run_dir, age_scale):
    import csv

    import keras
    import numpy as np

    from zoo.utils.io import atomic_path, read_json, write_json

    best_json = os.path.join(run_dir, "best.json")
    best_weights = os.path.join(run_dir, "best_weights.npz")
    val_csv = os.path.join(run_dir, "logs", "validation.csv")

    class BestOnValidation(keras.callbacks.Callback):
        """Evaluates the validation split at each epoch end, logs it to logs/validation.csv and keeps the best
        weights (best_weights.npz, best.json); survives a resume through best.json."""

        def __init__(self):
            super().__init__()
            self.best = read_json(best_json)["score"] if os.path.isfile(best_json) else -np.inf

        def on_epoch_end(self, epoch, logs=None):
            outputs, labels, _ = predict_dataset(classifier, val_ds)
            m = headline(evaluate(outputs, labels))
            s = score(evaluate(outputs, labels), age_scale)
            step = int(self.model.optimizer.iterations.numpy())
            row = {"epoch": epoch + 1, "step": step, "score": round(s, 5), **m}
            new = not os.path.isfile(val_csv)
            os.makedirs(os.path.dirname(val_csv), exist_ok=True)
            with open(val_csv, "a", newline="") as f:
                w = csv.DictWriter(f, fieldnames=list(row))
                if new:
                    w.writeheader()
                w.writerow(row)
            print(f"validation after epoch {epoch + 1}: " + ", ".join(f"{k}={v}" for k, v in m.items()), flush=True)
            if s > self.best:
                self.best = s
                with atomic_path(best_weights) as tmp, open(tmp, "wb") as f:
                    np.savez(f, *classifier.get_weights())
                write_json(best_json, {"score": s, "epoch": epoch + 1, "step": step, "validation": m})

    return BestOnValidation(), best_weights, best_json


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

    from zoo.data.errors import DataError
    from zoo.training.loop import train
    from zoo.training.setup import load_training_source, steps_for

    if cfg.channels not in (1, 3):
        raise DataError(f"--channels must be 1 (greyscale) or 3 (colour), got {cfg.channels}")
    if not 0.0 <= cfg.shift < 0.5:
        raise DataError(f"--shift must be a fraction of the image size in [0, 0.5), got {cfg.shift}")
    source = load_training_source(cfg)
    try:
        parts = split_indices(len(source), cfg.split, split_seed(cfg))
        split_info = _write_split(run_dir, source, parts, cfg)
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
    best_cb, best_weights, best_json = _best_callback(classifier, val_ds, run_dir, age_scale)
    state = train(trainer, lambda off: make_labelled_dataset(train_src, cfg, training=True, seed_offset=off),
                  run_dir, steps_per_epoch=per_epoch, total_steps=total, resume=resume,
                  checkpoint_every=cfg.checkpoint_every, log_every=cfg.log_every, extra_callbacks=[best_cb])
    if state.step < total:
        return trainer, state
    write_report(cfg, run_dir, source, parts, split_info, classifier, test_src, best_weights, best_json)
    return trainer, state


def write_report(cfg, run_dir, source, parts, split_info, classifier, test_src, best_weights, best_json,
                 extra_meta: dict | None = None, notes: list[str] | None = None):
    """Evaluate the best weights (rounded to float16, as the preset stores them) on the test split; write
    report.md (with a Notes section of ``notes``), metrics.json, the plots under report/ and the preset under
    preset/ (its metadata updated with ``extra_meta``)."""
    import numpy as np

    from zoo.data.utkface import GENDERS, LICENCE, RACES
    from zoo.metrics import classification_plots as plots
    from zoo.metrics.classification import format_classification_table
    from zoo.registry import save_to_preset
    from zoo.utils.io import read_json, write_json

    best = read_json(best_json) if best_json and os.path.isfile(best_json) else None  # None: weights as given
    if best is not None:
        with np.load(best_weights, allow_pickle=False) as data:
            classifier.set_weights([data[f"arr_{i}"] for i in range(len(data.files))])
    # Round to float16 and back so that the reported metrics are those of the shipped preset.
    classifier.set_weights([w.astype(np.float16).astype(w.dtype) if np.issubdtype(w.dtype, np.floating) else w
                            for w in classifier.get_weights()])
    test_ds = make_labelled_dataset(test_src, cfg, training=False)
    outputs, labels, images = predict_dataset(classifier, test_ds, keep_images=len(test_src))
    # The sample grid shows a seeded random draw of the test split (its files are in name order, i.e. by age).
    pick = np.sort(np.random.default_rng(cfg.seed).permutation(len(images))[:cfg.num_samples])
    metrics = evaluate(outputs, labels)
    rep = os.path.join(run_dir, "report")
    os.makedirs(rep, exist_ok=True)
    lab = source.labels
    plots.plot_class_balance(os.path.join(rep, "class_balance.png"), lab["gender"], lab["race"], lab["age"],
                             GENDERS, RACES, title=f"{source.name}, {len(source)} images")
    figures = ["class_balance.png"]
    if "gender" in metrics:
        plots.plot_confusion(os.path.join(rep, "confusion_gender.png"), metrics["gender"]["confusion"], GENDERS,
                             "gender (test)")
        plots.plot_accuracy_by_bucket(os.path.join(rep, "gender_accuracy_by_age.png"), metrics["gender"]["by_age"],
                                      "gender accuracy by true age (test)")
        figures += ["confusion_gender.png", "gender_accuracy_by_age.png"]
    if "ethnicity" in metrics:
        plots.plot_confusion(os.path.join(rep, "confusion_ethnicity.png"), metrics["ethnicity"]["confusion"], RACES,
                             "ethnicity (test)")
        figures.append("confusion_ethnicity.png")
    if "age" in metrics:
        plots.plot_age_histograms(os.path.join(rep, "age_histograms.png"), labels["age"], outputs["age"],
                                  f"age (test): MAE {metrics['age']['mae']:.2f} years")
        figures.append("age_histograms.png")
    plots.plot_predictions(os.path.join(rep, "sample_predictions.png"), images[pick],
                           [_caption({k: v[i] for k, v in outputs.items()}, {k: v[i] for k, v in labels.items()})
                            for i in pick])
    figures.append("sample_predictions.png")

    record = read_json(os.path.join(run_dir, "command.json")) if os.path.isfile(
        os.path.join(run_dir, "command.json")) else {"argv": [f"python -m recipes.{NAME}"]}
    # The starting command, then each resume of the run (e.g. one that switched --test-time-flip on).
    command = [*record["argv"], *(w for r in record.get("resumed_with", []) for w in ("&&", *r["argv"]))]
    head = headline(metrics)
    write_json(os.path.join(run_dir, "metrics.json"), {"test": metrics, "headline": head, "best": best,
                                                       "split": split_info})
    meta = {
        "dataset": f"{source.name} ({len(source)} images; {source.skipped} files skipped)",
        "resolution": cfg.image_size, "channels": cfg.channels, "tasks": list(classifier.tasks),
        "input": f"[B, {cfg.image_size}, {cfg.image_size}, {cfg.channels}] float32 in [-1, 1] "
                 f"({'greyscale' if cfg.channels == 1 else 'RGB'})",
        "outputs": {"gender": "probabilities [B, 2]: 0 male, 1 female",
                    "ethnicity": "probabilities [B, 5]: 0 White, 1 Black, 2 Asian, 3 Indian, 4 Others",
                    "age": "years [B]"},
        "split": split_info, "metrics": {"test": head, "best_validation": best},
        "training_command": " ".join(command), "config": dataclasses.asdict(cfg),
        "licence": LICENCE if source.name == "utkface" else source.info.get("licence", ""),
        **(extra_meta or {}),
    }
    save_to_preset(classifier, os.path.join(run_dir, "preset"), meta, weights_dtype="float16")

    lines = [f"# UTKFace classifier report: task {cfg.task}", "",
             f"Data: {source.name}, {len(source)} images; split seed {split_seed(cfg)}, proportions {list(cfg.split)}: "
             + ", ".join(f"{k} {v}" for k, v in split_info["counts"].items()) + ".  ",
             f"Input {cfg.image_size}x{cfg.image_size} {'greyscale' if cfg.channels == 1 else 'colour'}; "
             f"best validation epoch: {best['epoch'] if best else 'n/a'}.  ",
             f"Command: `{' '.join(command)}`", "", "## Test metrics", "",
             "| metric | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in head.items()]
    for t in ("gender", "ethnicity"):
        if t in metrics:
            lines += ["", f"### {t}", "", format_classification_table(metrics[t]), "",
                      f"![confusion {t}](report/confusion_{t}.png)"]
    if "gender" in metrics:
        lines += ["", "Gender accuracy by true age:", "",
                  "| age | accuracy | images |", "|---|---|---|"]
        lines += [f"| {b['bucket']} | {b['accuracy']:.3f} | {b['count']} |" for b in metrics["gender"]["by_age"]]
        lines += ["", "![gender by age](report/gender_accuracy_by_age.png)"]
    if "age" in metrics:
        a = metrics["age"]
        lines += ["", "### age", "", f"MAE {a['mae']:.2f} years, RMSE {a['rmse']:.2f}, mean signed error "
                  f"{a['bias']:+.2f}.", "", "Age errors by true age (bias: mean of prediction - truth):", "",
                  "| age | MAE | bias | images |", "|---|---|---|---|"]
        lines += [f"| {b['bucket']} | {b['mae']:.2f} | {b['bias']:+.2f} | {b['count']} |" for b in a["by_age"]]
        lines += ["", "![age histograms](report/age_histograms.png)"]
    if notes:
        lines += ["", "## Notes", "", *(f"- {n}" for n in notes)]
    lines += ["", "## Data", "", "![class balance](report/class_balance.png)", "", "## Sample test predictions", "",
              "![samples](report/sample_predictions.png)", "",
              f"Licence: {meta['licence']}", ""]
    from zoo.utils.io import atomic_path

    with atomic_path(os.path.join(run_dir, "report.md")) as tmp, open(tmp, "w") as f:
        f.write("\n".join(lines))
    print("test: " + ", ".join(f"{k}={v}" for k, v in head.items()), flush=True)
    print(f"report: {os.path.join(run_dir, 'report.md')}", flush=True)
    return metrics


def _caption(out, lab) -> str:
    from zoo.data.utkface import RACES

    pred, true = [], []
    if "gender" in out:
        g = int(out["gender"].argmax())
        pred.append(f"{'MF'[g]} {out['gender'][g]:.2f}")
        true.append("MF"[int(lab["gender"])])
    if "ethnicity" in out:
        e = int(out["ethnicity"].argmax())
        pred.append(RACES[e][:5])
        true.append(RACES[int(lab["ethnicity"])][:5])
    if "age" in out:
        pred.append(f"{float(out['age']):.0f}y")
        true.append(f"{int(lab['age'])}y")
    return "pred " + " ".join(pred) + "\ntrue " + " ".join(true)


def describe(cfg: Config):
    return [f"tasks: {', '.join(TASK_SETS[cfg.task])} ({'multi-task, one trunk' if cfg.task == 'all' else 'one head'})",
            f"optimizer: Adam, lr(E) = 1 / ({cfg.lr_denominator:g} (1 + E)) per epoch E",
            f"losses: cross-entropy (gender, ethnicity), {cfg.age_loss.upper()} in training-age standard deviations (age)",
            f"split: train/validation/test {list(cfg.split)} with seed {split_seed(cfg)}",
            ("inference: mean of each face and its mirror" if cfg.test_time_flip else "inference: one pass")
            + (", ages clamped to the training range" if cfg.age_clip and cfg.task in ("age", "all") else ""),
            f"augmentation: {', '.join(a for a, on in (('horizontal flips', cfg.flip), (f'shifts up to {cfg.shift:g} of the size', cfg.shift)) if on) or 'none'}"]


# -- predict --------------------------------------------------------------------------------------------------
class PredictError(ValueError):
    pass


def load_image(path: str, image_size: int, channels: int):
    """One image file -> (float32 [1, S, S, C] in [-1, 1], original (width, height)); resized and converted
    exactly as in training (the pipeline's decoder: a 16-bit PNG is scaled, not clipped). Raises ``PredictError``
    when the file is not a readable image or is too large to decode (checked from its header first)."""
    import tensorflow as tf

    from zoo.data import transforms
    from zoo.data.errors import DataError
    from zoo.data.files import read_image

    try:
        arr = read_image(path, channels=3)
    except DataError as e:
        raise PredictError(str(e)) from e
    size = (arr.shape[1], arr.shape[0])
    img = transforms.to_channels(transforms.resize(tf.constant(arr), image_size), channels)
    return transforms.to_float(img)[None].numpy(), size


def predict_files(paths: list[str]) -> list[tuple[str, str]]:
    """``(path, label)`` of every image to predict: each file argument and each folder's images (sorted, not
    recursive), in the order the arguments are given. The label (the table's and the CSV's ``file`` column) is the
    path, or just the name when a single folder is the only argument. Raises ``PredictError`` naming a missing path
    or a folder without images, before any model is loaded."""
    found = []
    for path in paths:
        if os.path.isdir(path):
            names = sorted(f for f in os.listdir(path) if f.lower().endswith(IMAGE_EXTENSIONS))
            if not names:
                raise PredictError(f"no image files ({', '.join(IMAGE_EXTENSIONS)}) in {path}")
            found += [(os.path.join(path, n), n if len(paths) == 1 else os.path.join(path, n)) for n in names]
        elif os.path.isfile(path):
            found.append((path, path))
        else:
            raise PredictError(f"{path} does not exist")
    return found


def _print_table(rows: list[dict]) -> None:
    """One line per image: file, then per task the class, its name and probability, or the age."""
    from zoo.data.utkface import GENDERS, RACES

    names = {"gender": GENDERS, "ethnicity": RACES}
    tasks = [t for t in ("gender", "ethnicity", "age") if t in rows[0]]
    cells = [["file", *tasks]]
    def cell(row, task):
        return str(row[task]) if task == "age" else f"{row[task]} {names[task][row[task]]} p={row[task + '_prob']}"

    cells += [[row["file"], *(cell(row, t) for t in tasks)] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(cells[0]))]
    for line in cells:
        print("  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip())


def predict_main(argv) -> int:
    import argparse
    import csv

    import numpy as np

    parser = argparse.ArgumentParser(prog=f"python -m recipes.{NAME} predict",
                                     description="Predict gender / ethnicity / age of face images with a preset: "
                                                 "prints a table, or writes it as CSV with --csv.")
    parser.add_argument("--preset", required=True, help="built-in preset name or preset folder")
    parser.add_argument("--csv", default=None, metavar="PATH",
                        help="write the predictions to this CSV instead of printing them (default: print only)")
    parser.add_argument("paths", nargs="+", metavar="path", help="image files and folders of images (not recursive)")
    parser.add_argument("--verbose", action="store_true", help="keep TensorFlow's start-up log lines")
    args = parser.parse_args(argv)
    prog = parser.prog
    from zoo.utils.logs import quiet_tensorflow

    quiet_tensorflow(args.verbose)

    from tqdm.auto import tqdm

    from zoo.registry import PresetError, from_preset

    try:
        files = predict_files(args.paths)
        model = from_preset(args.preset)
    except (PredictError, PresetError) as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 2
    if not hasattr(model, "tasks"):
        print(f"{prog}: error: preset {args.preset} is a {type(model).__name__}, not a FaceClassifier",
              file=sys.stderr)
        return 2
    size, channels = model.image_size, model.channels
    form = f"{size}x{size} {'greyscale' if channels == 1 else 'colour'} input"
    rows, failed, resized = [], [], 0
    for path, label in tqdm(files, desc="predicting", unit="img", disable=len(files) < 2, leave=False):
        try:
            x, orig = load_image(path, size, channels)
        except PredictError as e:
            if len(files) == 1:
                print(f"{prog}: error: {e}", file=sys.stderr)
                return 2
            failed.append(path)
            print(f"skipped: {e}", file=sys.stderr)
            continue
        if orig != (size, size):
            resized += 1
            if len(files) == 1:
                print(f"note: {path} is {orig[0]}x{orig[1]}; converted to the preset's {form}")
        out = {k: np.asarray(v)[0] for k, v in model(x, training=False).items()}
        row = {"file": label}
        for task in ("gender", "ethnicity"):
            if task in out:
                k = int(out[task].argmax())
                row.update({task: k, f"{task}_prob": round(float(out[task][k]), 4)})
        if "age" in out:
            row["age"] = round(float(out["age"]), 1)
        rows.append(row)
    if not rows:
        print(f"{prog}: error: none of the {len(files)} image files could be read", file=sys.stderr)
        return 2
    notes = ([f"note: {resized} images were converted to the preset's {form}"] if resized and len(files) > 1 else []) \
        + ([f"note: {len(failed)} unreadable files skipped"] if failed else [])
    if args.csv is None:
        _print_table(rows)
    else:
        from zoo.utils.io import atomic_path

        fields = ["file"] + [c for c in ("gender", "gender_prob", "ethnicity", "ethnicity_prob", "age") if c in rows[0]]
        try:
            with atomic_path(args.csv) as tmp, open(tmp, "w", newline="") as f:
                w = csv.DictWriter(f, fieldnames=fields)
                w.writeheader()
                w.writerows(rows)
        except OSError as e:
            print(f"{prog}: error: cannot write {args.csv}: {e.strerror or e}", file=sys.stderr)
            return 2
        print(f"wrote {args.csv} ({len(rows)} rows)")
    for note in notes:
        print(note)
    return 0


# -- presets --------------------------------------------------------------------------------------------------
def export_presets(run_dir: str, dest: str, training_command: str | None = None) -> list[str]:
    """Turn a finished run's ``preset/`` into built-in presets under ``dest``: ``classifier_<task>_utkface_<S>``
    for each head (the multi-task run also gives ``classifier_multitask_utkface_<S>``; a single-head model
    is the multi-task trunk with that head only, so its outputs equal the multi-task model's). Colour models
    get a ``_colour`` suffix. Returns the preset folders written."""
    from zoo.registry import from_preset, save_to_preset
    from zoo.utils.io import read_json

    model = from_preset(os.path.join(run_dir, "preset"))
    meta = dict(read_json(os.path.join(run_dir, "preset", "metadata.json")))
    for k in ("class_name", "weights_dtype", "parameters", "weights_sha256", "keras_version"):
        meta.pop(k, None)
    if training_command:
        meta["training_command"] = training_command
    suffix = f"utkface_{model.image_size}" + ("_colour" if model.channels == 3 else "")
    test = meta["metrics"]["test"]
    written = []
    variants = [(t, (t,)) for t in model.tasks]
    if len(model.tasks) > 1:
        variants.insert(0, ("multitask", tuple(model.tasks)))
    for label, tasks in variants:
        sub = model if tasks == tuple(model.tasks) else model.with_tasks(tasks, name="classifier")
        info = {**meta, "tasks": list(tasks),
                "metrics": {**meta["metrics"], "test": {k: v for k, v in test.items() if k.split("_")[0] in tasks}}}
        if tasks != tuple(model.tasks):
            info["derived_from"] = (f"the {'/'.join(model.tasks)} multi-task model of this run: its trunk and the "
                                    f"{label} head, unchanged")
        written.append(save_to_preset(sub, os.path.join(dest, f"classifier_{label}_{suffix}"), info,
                                      weights_dtype="float16"))
    return written


def ensemble(run_dirs: list[str], out: str, command: list[str] | None = None, calibrate_age: bool = False) -> str:
    """A new run folder under ``out`` holding the ``FaceClassifierEnsemble`` of finished runs' best models (their
    ``preset/``): the same report, metrics.json and preset as a trained run, plus ``ensemble.json`` with the
    validation and test metrics of each member and of the ensemble. The runs must share data, input, heads and
    split (e.g. one recipe with different ``--seed`` and the same ``--split-seed``). Returns the folder.

    ``calibrate_age``: fit a monotone map from the ensemble's ages to the true ages on the validation split
    (isotonic regression) and build it into the ensemble. The validation figures are then in-sample for the map;
    ``ensemble.json`` and the report also give the uncalibrated and the cross-fitted validation MAE."""
    import numpy as np

    from zoo.data.errors import DataError
    from zoo.models.face_classifier import FaceClassifierEnsemble, cross_fitted_age_mae, fit_age_calibration
    from zoo.registry import from_preset
    from zoo.training.run_dir import new_run_dir
    from zoo.training.setup import load_training_source
    from zoo.utils.io import read_json, write_json

    if len(run_dirs) < 2:
        raise DataError(f"an ensemble needs at least 2 runs, got {len(run_dirs)}")
    cfgs, splits = [], []
    for d in run_dirs:
        for f in ("config.json", "split.csv", os.path.join("preset", "config.json")):
            if not os.path.isfile(os.path.join(d, f)):
                raise DataError(f"{d} is not a finished {NAME} run: {f} is missing")
        cfgs.append(read_json(os.path.join(d, "config.json")))
        with open(os.path.join(d, "split.csv")) as fh:
            splits.append(fh.read())
    same = ("task", "data", "data_dir", "image_size", "channels", "split") + (
        ("num_synthetic", "seed") if cfgs[0]["data"] == "synthetic" else ())  # a synthetic set depends on its seed
    for d, c, sp in zip(run_dirs[1:], cfgs[1:], splits[1:]):
        diff = [k for k in same if c.get(k) != cfgs[0].get(k)]
        if diff:
            raise DataError(f"{d} differs from {run_dirs[0]} in {', '.join(f'{k} ({c.get(k)} vs {cfgs[0].get(k)})' for k in diff)}: "
                            f"an ensemble's members must share data, input, heads and split")
        if sp != splits[0]:
            raise DataError(f"{d} has another train/validation/test split than {run_dirs[0]} (split.csv differs): "
                            f"train the members with the same --split-seed")
    known = {f.name for f in dataclasses.fields(Config)}
    cfg = Config(**{k: tuple(v) if isinstance(v, list) else v for k, v in cfgs[0].items() if k in known})
    cfg = dataclasses.replace(cfg, out=out)
    if calibrate_age and "age" not in TASK_SETS[cfg.task]:
        raise DataError(f"--calibrate-age needs runs with an age head; these are --task {cfg.task}")
    members = [from_preset(os.path.join(d, "preset")) for d in run_dirs]
    model = FaceClassifierEnsemble(members, name="classifier")
    model.build(model.input_shape_for())
    source = load_training_source(cfg)
    parts = split_indices(len(source), cfg.split, split_seed(cfg))
    run_dir = new_run_dir(out, NAME)
    print(f"run folder: {run_dir}", flush=True)
    write_json(os.path.join(run_dir, "config.json"), {**cfgs[0], "out": out, "ensemble_of": list(run_dirs)})
    write_json(os.path.join(run_dir, "command.json"), {"argv": command or [f"python -m recipes.{NAME} ensemble",
                                                                           *run_dirs]})
    split_info = _write_split(run_dir, source, parts, cfg)
    val_ds = make_labelled_dataset(source.subset(parts["validation"]), cfg, training=False)
    summary = {"members": []}
    member_outs = []
    for d, c, m in zip(run_dirs, cfgs, members):
        out_m, val_labels, _ = predict_dataset(m, val_ds)
        member_outs.append(out_m)
        summary["members"].append({"run": d, "config": c, "validation": headline(evaluate(out_m, val_labels)),
                                   "test": m.preset_metadata.get("metrics", {}).get("test")})
    # The ensemble's outputs are the mean of its members': no second pass over the validation split.
    val_out = {t: np.mean(np.stack([o[t] for o in member_outs]), axis=0) for t in model.tasks}
    summary["validation"] = headline(evaluate(val_out, val_labels))
    notes = [f"The mean of {len(members)} runs' best models: "
             + "; ".join(f"{os.path.basename(os.path.normpath(d))} (validation "
                         + ", ".join(f"{k} {v}" for k, v in mem["validation"].items()) + ")"
                         for d, mem in zip(run_dirs, summary["members"])) + "."]
    members_meta = {"ensemble_of": [{"run": os.path.basename(os.path.normpath(mem["run"])), "test": mem["test"],
                                     "training_command": m.preset_metadata.get("training_command")}
                                    for mem, m in zip(summary["members"], members)]}
    if calibrate_age:
        # Fit on validation only: the test split stays unseen. Cross-fitting on validation estimates the gain
        # out of sample, since the calibrated validation MAE is in-sample.
        try:
            calibration = fit_age_calibration(val_out["age"], val_labels["age"])
            cross = cross_fitted_age_mae(val_out["age"], val_labels["age"])
        except ValueError as e:
            raise DataError(f"cannot calibrate the ensemble's ages on the validation split "
                            f"({len(val_labels['age'])} faces): {e}") from e
        model = FaceClassifierEnsemble(members, age_calibration=calibration, name="classifier")
        model.build(model.input_shape_for())
        calibrated = dict(val_out, age=np.interp(val_out["age"], calibration["x"], calibration["y"]))
        uncalibrated, summary["validation"] = summary["validation"], headline(evaluate(calibrated, val_labels))
        summary["age_calibration"] = {
            "fit_on": "validation split", "method": "isotonic regression (least squares), piecewise linear",
            "knots": len(calibration["x"]),
            "validation_age_mae": {"uncalibrated": uncalibrated["age_mae"],
                                   "in_sample": summary["validation"]["age_mae"],
                                   "cross_fitted_5x5": round(cross, 3)}}
        members_meta["age_calibration_fit"] = summary["age_calibration"]
        notes.append(f"Ages calibrated by a monotone piecewise-linear map ({len(calibration['x'])} knots) fit on the "
                     f"validation split; the test split was not used. Validation age MAE: "
                     f"{uncalibrated['age_mae']} uncalibrated, {summary['validation']['age_mae']} calibrated "
                     f"(in-sample for the map), {cross:.3f} cross-fitted (5 folds, 5 shuffles).")
    members_meta = {"ensemble_validation": summary["validation"], **members_meta}
    # The members' presets already hold their best epochs: no best weights to load.
    metrics = write_report(cfg, run_dir, source, parts, split_info, model, source.subset(parts["test"]), None, None,
                           extra_meta=members_meta, notes=notes)
    summary["test"] = headline(metrics)
    write_json(os.path.join(run_dir, "ensemble.json"), summary)
    for i, mem in enumerate(summary["members"]):
        print(f"member {i}: validation {mem['validation']}", flush=True)
    print(f"ensemble: validation {summary['validation']}", flush=True)
    if calibrate_age:
        print(f"age calibration: validation MAE {summary['age_calibration']['validation_age_mae']}", flush=True)
    return run_dir


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "predict":
        return predict_main(argv[1:])
    if argv and argv[0] == "ensemble":
        import argparse

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
            ensemble(args.run_dirs, args.out, [f"python -m recipes.{NAME}", *argv], args.calibrate_age)
        except (DataError, PresetError) as e:
            print(f"{parser.prog}: error: {e}", file=sys.stderr)
            return 2
        return 0
    if argv and argv[0] == "export-presets":
        import argparse

        parser = argparse.ArgumentParser(prog=f"python -m recipes.{NAME} export-presets")
        parser.add_argument("run_dir")
        parser.add_argument("--dest", default=os.path.join("zoo", "presets"))
        parser.add_argument("--training-command", default=None)
        args = parser.parse_args(argv[1:])
        for path in export_presets(args.run_dir, args.dest, args.training_command):
            print(f"wrote {path}")
        return 0
    from zoo.training.recipe import run_recipe

    return run_recipe(NAME, Config, run, argv, describe)


if __name__ == "__main__":
    sys.exit(main())
