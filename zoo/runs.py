"""Reopen a training run folder: its recipe, config and trainer restored from the newest checkpoint."""

from __future__ import annotations

import csv
import importlib
import os
import re

from zoo.training.checkpoint import CheckpointError, latest_checkpoint, load_checkpoint
from zoo.training.cli import config_from_dict
from zoo.utils.io import read_json

_RUN = re.compile(r"^\d{5}-(.+)$")


def recipe_of(run_dir: str):
    """The recipe module that made ``run_dir`` (from the folder name ``<NNNNN>-<recipe>``)."""
    name = os.path.basename(os.path.normpath(run_dir))
    m = _RUN.match(name)
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


def last_metrics(run_dir: str) -> dict:
    """The last row of the run's logs/metrics.csv as floats ({} when absent)."""
    path = os.path.join(run_dir, "logs", "metrics.csv")
    if not os.path.isfile(path):
        return {}
    with open(path) as f:
        rows = list(csv.DictReader(f))
    return {k: float(v) for k, v in rows[-1].items() if v not in ("", None)} if rows else {}
