"""Runs that survive crashes, bad disks, signals and NaN: metrics rows, checkpoint verification, clear errors."""

import csv
import json
import os
import shutil

import numpy as np

from tests.zoo.trainers.test_gan_trainer import data, make_trainer
from zoo.training.loop import train


def _dirs(root):
    for sub in ("logs", "samples", "plots", "checkpoints"):
        os.makedirs(os.path.join(root, sub), exist_ok=True)
    return str(root)


def _run(run_dir, total, resume=False, trainer=None, **kw):
    t = trainer or make_trainer()
    kw = {"steps_per_epoch": 3, "checkpoint_every": 2, "log_every": 1, "verbose": 0, **kw}
    state = train(t, lambda offset: data(), run_dir, total_steps=total, resume=resume, **kw)
    return t, state


def _steps(run_dir):
    return [int(r["step"]) for r in csv.DictReader(open(os.path.join(run_dir, "logs", "metrics.csv")))]


def test_metrics_keep_one_row_per_step_after_a_resume_from_an_older_checkpoint(tmp_path):
    straight = _dirs(tmp_path / "a")
    _run(straight, 5)
    crashed = _dirs(tmp_path / "b")
    _run(crashed, 4)
    # a crash after step 4 was logged but before its checkpoint landed: only ckpt 3 survives
    ckpts = os.path.join(crashed, "checkpoints")
    shutil.rmtree(os.path.join(ckpts, "ckpt-00000004"))
    os.remove(os.path.join(ckpts, "latest"))
    _, state = _run(crashed, 5, resume=True)
    assert state.step == 5
    assert _steps(crashed) == _steps(straight)  # step 4 once, not once per attempt
