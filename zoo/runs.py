"""Reopen a training run folder: its recipe, config and trainer restored from the newest checkpoint, and the
network that is "the model" of the run (``run_model``), the one evaluate, make_preset, export, the demo and the
latent tools all use."""

from __future__ import annotations

import importlib
import json
import os
import re

from zoo.training.checkpoint import CheckpointError, latest_checkpoint, load_checkpoint
from zoo.training.cli import config_from_dict
from zoo.training.metrics_file import read_metrics
from zoo.utils.io import read_json

_RUN = re.compile(r"^\d{5}-(.+)$")


def recipe_of(run_dir: str):
    """The recipe module that made ``run_dir`` (from the folder name ``<NNNNN>-<recipe>``; a model of a grid run,
    ``<NNNNN>-<recipe>/m_4_1`` with its own config.json, from its parent's)."""
    name = os.path.basename(os.path.normpath(run_dir))
    m = _RUN.match(name)
    if not m and os.path.isfile(os.path.join(run_dir, "config.json")):
        m = _RUN.match(os.path.basename(os.path.dirname(os.path.normpath(run_dir))))
    if not m:
        raise ValueError(f"{run_dir} is not a run folder (expected a name like 00012-celeba_dcgan)")
    try:
        return importlib.import_module(f"recipes.{m.group(1)}")
    except ModuleNotFoundError as e:
        raise ValueError(f"{run_dir}: no recipe module recipes.{m.group(1)}") from e


def load_run(run_dir: str, checkpoint: str | None = None):
    """``(recipe_module, config, trainer)`` with the trainer's weights from ``checkpoint`` (default: newest)."""
    if not os.path.isfile(os.path.join(run_dir, "config.json")):
        raise FileNotFoundError(f"{run_dir} has no config.json; is it a facezoo run folder?")
    recipe = recipe_of(run_dir)
    cfg = config_from_dict(recipe.Config, read_json(os.path.join(run_dir, "config.json")))
    trainer = recipe.build(cfg)
    trainer.build_all()
    path = checkpoint or latest_checkpoint(os.path.join(run_dir, "checkpoints"))
    if path is None:
        raise CheckpointError(f"{run_dir} has no checkpoint yet")
    load_checkpoint(path, trainer.checkpoint_variables())
    return recipe, cfg, trainer


MODEL_PARTS = ("generator", "decoder")  # a run's default part, in order of preference


def progressive_position(trainer) -> tuple[int, float]:
    """(level, alpha) a progressive trainer has reached: its current (highest) level, alpha 1 once that level's
    fade-in is complete (or at level 0, or without a fade-in), else the fraction of the fade-in shown so far."""
    level = int(trainer.level.numpy())
    fade, seen = int(trainer.fade_images.numpy()), int(trainer.level_images.numpy())
    if level == 0 or fade <= 0 or seen >= fade:
        return level, 1.0
    return level, seen / fade


def trainer_model(trainer, part: str | None = None, ema: bool = True):
    """The model of a restored trainer (see ``run_model``)."""
    import keras

    if part is None:
        part = next((p for p in MODEL_PARTS if isinstance(getattr(trainer, p, None), keras.Model)), None)
        if part is None:
            raise ValueError(f"{type(trainer).__name__} has none of the parts {', '.join(MODEL_PARTS)}; name the "
                             f"part to use (an attribute of the trainer)")
    if part == "generator" and ema and getattr(trainer, "keeps_ema", False):
        return _ema_generator(trainer)
    model = getattr(trainer, part, None)
    if not isinstance(model, keras.Model):
        raise ValueError(f"the trainer of this run ({type(trainer).__name__}) has no part {part!r}")
    model.run_info = {"part": part, "step": trainer.completed_steps()}
    if part == "generator" and getattr(trainer, "keeps_ema", False):
        if hasattr(trainer, "level"):
            raise ValueError("a progressive run's trained generator has no level and fade-in baked in; its model is "
                             "the EMA generator")
        model.run_info["weights"] = "trained"
    return model


def _ema_generator(trainer):
    """A copy of the trainer's EMA generator named ``generator``; a progressive one with the level and fade-in it
    reached baked in (``output_level``/``output_alpha``)."""
    sampler = trainer.sync_ema()
    config, info = {**sampler.get_config(), "name": "generator"}, {}
    if hasattr(trainer, "level"):  # progressive
        level, alpha = progressive_position(trainer)
        config.update(output_level=level, output_alpha=alpha)
        info = {"level": level, "alpha": alpha}
    model = type(sampler).from_config(config)
    model.build((None, sampler.latent_dim))
    model.set_weights(sampler.get_weights())
    model.run_info = {"part": "generator", "step": trainer.completed_steps(), "weights": "ema", **info}
    return model


def images_seen(trainer, cfg) -> int:
    """Real images a run has trained on: the trainer's own count where it keeps one (progressive trainers), else
    steps x batch size x the real batches each step takes (n_critic for the WGANs, per step for a warm-up)."""
    if hasattr(trainer, "images_seen"):
        return int(trainer.images_seen.numpy())
    steps, batch = trainer.completed_steps(), int(getattr(cfg, "batch_size", 0))
    schedule = trainer.real_batches_schedule() if hasattr(trainer, "real_batches_schedule") else None
    if schedule is not None:
        import tensorflow as tf

        return batch * int(tf.reduce_sum(schedule(tf.range(steps, dtype=tf.int64))).numpy()) if steps else 0
    return steps * batch * int(getattr(trainer, "real_batches_per_step", 1))


def run_model(run_dir: str, part: str | None = None, checkpoint: str | None = None, ema: bool = True):
    """The network that *is* the model of run folder ``run_dir`` (newest checkpoint unless ``checkpoint``), a plain
    registered Keras model ready to call, save as a preset or export.

    ``part``: an attribute of the run's trainer; default the first of ``generator``, ``decoder``. Where the trainer
    keeps an EMA of its generator (every progressive run, ProGAN and StyleGAN; a GAN run with ``--ema-kimg``) the
    generator is the EMA generator; a progressive one at the run's highest level reached, with alpha 1 when
    that level's fade-in is complete and its current alpha otherwise, baked in as ``output_level``/``output_alpha``
    so that ``model(z)`` gives that output. Other parts come as trained. ``model.run_info`` says which: part, step,
    checkpoint, images seen (and weights "ema" for an EMA generator, level and alpha for a progressive one).
    Every tool that needs "the model of a run" calls this, so they all measure, package and show the same network.
    ``ema=False``: the generator as trained, not its EMA (for an ablation of the EMA; run_info's weights "trained").
    """
    path = checkpoint or latest_checkpoint(os.path.join(run_dir, "checkpoints"))
    _, cfg, trainer = load_run(run_dir, path)
    model = trainer_model(trainer, part, ema)
    model.run_info = {"run": os.path.abspath(run_dir), "checkpoint": os.path.basename(path), **model.run_info,
                      "images_seen": images_seen(trainer, cfg), "train_seconds": checkpoint_seconds(path)}
    return model


def checkpoint_seconds(path: str) -> float | None:
    """The training wall-clock a checkpoint holds (summed over resumes), for rates and curves; None if unknown."""
    try:
        with open(os.path.join(path, "state.json")) as f:
            return float(json.load(f).get("train_seconds", 0.0)) or None
    except (OSError, ValueError, TypeError):
        return None


def last_metrics(run_dir: str, up_to_step: int | None = None) -> dict:
    """The last row of the run's logs/metrics.csv (at or before ``up_to_step`` when given) as floats ({} when
    absent)."""
    rows = read_metrics(os.path.join(run_dir, "logs", "metrics.csv"))[1]
    if up_to_step is not None:
        rows = [r for r in rows if float(r["step"]) <= up_to_step]
    return {k: float(v) for k, v in rows[-1].items() if v not in ("", None)} if rows else {}


def checkpoint_run(path: str) -> str | None:
    """The run folder of ``path`` when it is one of its checkpoints (``RUN/checkpoints/ckpt-<step>``), else None."""
    path = os.path.normpath(path)
    parent = os.path.dirname(path)
    run_dir = os.path.dirname(parent)
    if (re.fullmatch(r"ckpt-\d+", os.path.basename(path)) and os.path.basename(parent) == "checkpoints"
            and os.path.isfile(os.path.join(run_dir, "config.json"))):
        return run_dir
    return None
