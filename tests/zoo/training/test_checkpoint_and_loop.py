import csv
import json
import os

import keras
import numpy as np
import pytest

from tests.zoo.trainers.test_gan_trainer import data, make_trainer
from zoo.training.callbacks import NonFiniteLossError
from zoo.training.checkpoint import CheckpointError, latest_checkpoint, load_checkpoint, save_checkpoint
from zoo.training.loop import train


def test_checkpoint_round_trip_and_retention(tmp_path):
    v = [keras.Variable(np.arange(3.0)), keras.Variable(np.ones((2, 2)))]
    for step in (1, 2, 3):
        v[0].assign(np.arange(3.0) * step)
        save_checkpoint(str(tmp_path), {"g": v}, {"step": step}, keep=2)
    assert sorted(d for d in os.listdir(tmp_path) if d.startswith("ckpt")) == ["ckpt-00000002", "ckpt-00000003"]
    assert latest_checkpoint(str(tmp_path)).endswith("ckpt-00000003")
    v[0].assign(np.zeros(3))
    state = load_checkpoint(latest_checkpoint(str(tmp_path)), {"g": v})
    assert state["step"] == 3
    np.testing.assert_array_equal(v[0].numpy(), [0, 3, 6])
    with pytest.raises(CheckpointError, match="shape"):
        load_checkpoint(latest_checkpoint(str(tmp_path)), {"g": [v[1], v[0]]})


def test_latest_ignores_a_half_written_checkpoint(tmp_path):
    v = [keras.Variable(np.zeros(2))]
    save_checkpoint(str(tmp_path), {"g": v}, {"step": 5})
    os.makedirs(tmp_path / "ckpt-00000009")  # a crash mid-write leaves no state.json and no pointer update
    assert latest_checkpoint(str(tmp_path)).endswith("ckpt-00000005")


def _run(tmp_path, total, resume=False, trainer=None):
    t = trainer or make_trainer()
    state = train(t, lambda offset: data(), str(tmp_path), steps_per_epoch=3, total_steps=total, resume=resume,
                  checkpoint_every=2, log_every=1, render_samples=lambda: t.generator(np.zeros((4, 8), "float32")),
                  verbose=0)
    return t, state


def test_resume_continues_from_the_saved_step_with_identical_state(tmp_path):
    for sub in ("logs", "samples", "plots", "checkpoints"):
        os.makedirs(tmp_path / sub)
    t1, s1 = _run(tmp_path, 4)
    assert s1.step == 4
    steps = [int(r["step"]) for r in csv.DictReader(open(tmp_path / "logs" / "metrics.csv"))]
    assert steps[:4] == [1, 2, 3, 3] and steps[-1] == 4  # per step, plus the epoch-end row
    assert os.path.isfile(tmp_path / "samples" / "latest.png") and os.path.isfile(tmp_path / "plots" / "losses.png")
    # a fresh process: new trainer, resumed from disk, gets exactly the saved weights and optimizer state
    t2 = make_trainer()
    load_checkpoint(latest_checkpoint(str(tmp_path / "checkpoints")), t2.checkpoint_variables())
    for a, b in zip(t1.checkpoint_variables()["model"], t2.checkpoint_variables()["model"]):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    t3, s3 = _run(tmp_path, 6, resume=True)
    assert s3.step == 6 and t3.completed_steps() == 6
    steps = [int(r["step"]) for r in csv.DictReader(open(tmp_path / "logs" / "metrics.csv"))]
    assert 5 in steps and steps.count(1) == 1  # continued, did not start over
    assert json.load(open(tmp_path / "status.json"))["status"] == "finished"


def test_nan_loss_stops_and_keeps_last_good_checkpoint(tmp_path):
    for sub in ("logs", "samples", "plots", "checkpoints"):
        os.makedirs(tmp_path / sub)
    t, _ = _run(tmp_path, 2)
    good = latest_checkpoint(str(tmp_path / "checkpoints"))
    # poison the discriminator: the next losses are NaN
    w = t.discriminator.to_logit.kernel
    w.assign(np.full(w.shape, np.nan, np.float32))
    with pytest.raises(NonFiniteLossError, match="non-finite loss"):
        _run(tmp_path, 6, trainer=t)
    assert latest_checkpoint(str(tmp_path / "checkpoints")) == good
    assert json.load(open(tmp_path / "status.json"))["status"] == "failed"
    t2 = make_trainer()
    load_checkpoint(good, t2.checkpoint_variables())
    assert np.isfinite(t2.discriminator.to_logit.kernel.numpy()).all()


class _Clock:
    """A clock that advances one second each time it is read."""

    def __init__(self):
        self.now = 1000.0

    def time(self):
        self.now += 1.0
        return self.now


def test_time_budget_stops_with_a_checkpoint_and_counts_time_across_resumes(tmp_path, monkeypatch):
    import zoo.training.callbacks as callbacks

    for sub in ("logs", "samples", "plots", "checkpoints"):
        os.makedirs(tmp_path / sub)
    monkeypatch.setattr(callbacks, "time", _Clock())

    def run(budget, total=12):
        t = make_trainer()
        state = train(t, lambda offset: data(), str(tmp_path), steps_per_epoch=3, total_steps=total, resume=True,
                      checkpoint_every=100, log_every=1, verbose=0, time_budget_s=budget)
        return t, state

    t, s = run(12.0)
    assert s.budget_spent and 0 < s.step < 12
    status = json.load(open(tmp_path / "status.json"))
    assert status["reason"] == "time budget" and status["train_seconds"] >= 12.0
    stored = json.load(open(os.path.join(latest_checkpoint(str(tmp_path / "checkpoints")), "state.json")))
    assert stored["step"] == s.step and stored["train_seconds"] >= 12.0  # nothing trained is lost
    # the same budget again: already spent, no step is taken
    t2, s2 = run(12.0)
    assert s2.step == s.step and t2.completed_steps() == s.step
    # a larger budget continues from the checkpoint and counts the time already spent
    t3, s3 = run(1e9)
    assert s3.step == 12 and not s3.budget_spent
    assert json.load(open(tmp_path / "status.json"))["train_seconds"] > stored["train_seconds"]


def test_metrics_log_widens_its_header_when_a_column_appears(tmp_path):
    from zoo.training.callbacks import MetricsLog, TrainState

    path = str(tmp_path / "metrics.csv")
    state = TrainState()
    log = MetricsLog(state, path, every_steps=1)
    for step, logs in ((1, {"loss": 1.0}), (2, {"loss": 2.0}), (3, {"loss": 3.0, "val_mae": 7.5})):
        state.step = step
        log.on_train_batch_end(0, logs)
    rows = list(csv.DictReader(open(path)))
    assert list(rows[0]) == ["step", "epoch", "seconds", "loss", "val_mae"]
    assert [(r["step"], r["loss"], r["val_mae"]) for r in rows] == [("1", "1.0", ""), ("2", "2.0", ""),
                                                                     ("3", "3.0", "7.5")]
    # A resumed process reads the wider header and keeps appending under it.
    state.step = 4
    MetricsLog(state, path, every_steps=1).on_train_batch_end(0, {"val_mae": 6.0, "loss": 4.0})
    last = list(csv.DictReader(open(path)))[-1]
    assert (last["step"], last["loss"], last["val_mae"]) == ("4", "4.0", "6.0")
