"""Runs that survive crashes, bad disks, signals and NaN: metrics rows, checkpoint verification, clear errors."""

import csv
import json
import os
import shutil

import numpy as np
import pytest

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


def _ckpt_names(ckpt_dir):
    return sorted(d for d in os.listdir(ckpt_dir) if d.startswith("ckpt-"))


def test_a_truncated_newest_checkpoint_falls_back_to_the_older_one_with_a_warning(tmp_path, capsys):
    run_dir = _dirs(tmp_path)
    _run(run_dir, 4)  # checkpoints at steps 3 and 4
    ckpts = os.path.join(run_dir, "checkpoints")
    npz = os.path.join(ckpts, "ckpt-00000004", "variables.npz")
    with open(npz, "r+b") as f:  # a power loss mid-write: the file is cut short
        f.truncate(os.path.getsize(npz) // 2)
    t, state = _run(run_dir, 4, resume=True)
    err = capsys.readouterr().err
    assert "skipping checkpoint ckpt-00000004" in err and "damaged" in err
    assert t.completed_steps() == 4 and state.step == 4  # resumed at 3, trained step 4 again
    # the damaged future was replaced by the new checkpoint of step 4, which loads
    from zoo.training.checkpoint import latest_checkpoint, load_checkpoint
    assert _ckpt_names(ckpts) == ["ckpt-00000003", "ckpt-00000004"]
    assert load_checkpoint(latest_checkpoint(ckpts), make_trainer().checkpoint_variables())["step"] == 4


def test_verify_catches_a_flipped_byte_and_a_missing_variable(tmp_path):
    import keras
    import zipfile

    from zoo.training.checkpoint import DamagedCheckpointError, save_checkpoint, verify_checkpoint

    v = [keras.Variable(np.arange(64.0)), keras.Variable(np.ones(3))]
    path = save_checkpoint(str(tmp_path), {"g": v}, {"step": 1})
    assert verify_checkpoint(path)["step"] == 1
    npz = os.path.join(path, "variables.npz")
    raw = bytearray(open(npz, "rb").read())
    at = raw.index(np.arange(64.0).tobytes()) + 100
    raw[at] ^= 0xFF  # same length, one bit pattern changed: only the CRC sees it
    open(npz, "wb").write(bytes(raw))
    with pytest.raises(DamagedCheckpointError, match="CRC"):
        verify_checkpoint(path)
    path = save_checkpoint(str(tmp_path), {"g": v}, {"step": 2})
    with zipfile.ZipFile(os.path.join(path, "variables.npz"), "w") as z:  # one array lost
        z.writestr("g/00000.npy", b"")
    with pytest.raises(DamagedCheckpointError, match="lists 2 variables"):
        verify_checkpoint(path)


def test_the_latest_pointer_does_not_hide_a_newer_checkpoint_and_orphans_are_removed(tmp_path):
    import keras

    from zoo.training.checkpoint import latest_checkpoint, save_checkpoint

    v = [keras.Variable(np.zeros(2))]
    save_checkpoint(str(tmp_path), {"g": v}, {"step": 5})
    save_checkpoint(str(tmp_path), {"g": v}, {"step": 6})
    open(tmp_path / "latest", "w").write("ckpt-00000005\n")  # a kill between the rename and the pointer update
    assert latest_checkpoint(str(tmp_path)).endswith("ckpt-00000006")
    os.makedirs(tmp_path / ".tmp-abc123")  # a kill during a write
    open(tmp_path / ".tmp-def456.tmp", "w").write("x")
    save_checkpoint(str(tmp_path), {"g": v}, {"step": 7})
    assert sorted(os.listdir(tmp_path)) == ["ckpt-00000006", "ckpt-00000007", "latest"]


def test_an_interrupt_before_the_first_step_does_not_claim_a_checkpoint(tmp_path, capsys):
    from zoo.training.callbacks import TrainingInterrupted

    run_dir = _dirs(tmp_path)

    def killed(offset):
        raise KeyboardInterrupt("signal 15")  # SIGTERM while the input pipeline is being built

    with pytest.raises(TrainingInterrupted):
        train(make_trainer(), killed, run_dir, steps_per_epoch=3, total_steps=6, verbose=0)
    err = capsys.readouterr().err
    assert "checkpoint saved" not in err and "no checkpoint" in err
    status = json.load(open(os.path.join(run_dir, "status.json")))
    assert status["status"] == "interrupted" and status["step"] == 0 and status["checkpoint"] is None
    assert not os.listdir(os.path.join(run_dir, "checkpoints"))


def test_nan_at_the_first_step_stops_cleanly_without_a_metrics_file(tmp_path):
    from zoo.training.callbacks import NonFiniteLossError

    run_dir = _dirs(tmp_path)
    t = make_trainer()
    w = t.discriminator.to_logit.kernel
    w.assign(np.full(w.shape, np.nan, np.float32))
    with pytest.raises(NonFiniteLossError, match="non-finite loss at step 1"):
        _run(run_dir, 6, trainer=t, log_every=100)  # no metrics row before the NaN: the plot has nothing to read
    status = json.load(open(os.path.join(run_dir, "status.json")))
    assert status["status"] == "failed" and status["step"] == 0


def test_weights_that_go_non_finite_with_a_finite_loss_are_never_checkpointed(tmp_path):
    from zoo.training.callbacks import NonFiniteLossError
    from zoo.training.checkpoint import latest_checkpoint, load_checkpoint

    run_dir = _dirs(tmp_path)
    t, _ = _run(run_dir, 2)
    # The generator's update is the last thing a step does: NaN Adam moments poison the generator's weights
    # while every loss of that step (computed before the update) is finite.
    kernel = t.generator.to_image.kernel
    for v in t.g_optimizer.variables:
        if tuple(v.shape) == tuple(kernel.shape):
            v.assign(np.full(v.shape, np.nan, np.float32))
    with pytest.raises(NonFiniteLossError, match="non-finite weights at step 3"):
        _run(run_dir, 6, trainer=t)  # step 3 ends an epoch: today's loop saves the poisoned weights there
    assert not np.isfinite(kernel.numpy()).all()
    last = latest_checkpoint(os.path.join(run_dir, "checkpoints"))
    assert last.endswith("ckpt-00000002")
    t2 = make_trainer()
    load_checkpoint(last, t2.checkpoint_variables())
    assert all(np.isfinite(np.asarray(v)).all() for v in t2.generator.weights)
    assert json.load(open(os.path.join(run_dir, "status.json")))["reason"] == "non-finite weights"


def test_a_checkpoint_is_synced_to_disk_before_it_is_renamed_into_place(tmp_path, sync_events):
    import keras

    from zoo.training.checkpoint import save_checkpoint

    events = sync_events
    save_checkpoint(str(tmp_path), {"g": [keras.Variable(np.zeros(2))]}, {"step": 1})
    final = str(tmp_path / "ckpt-00000001")
    rename = events.index(("replace", final))
    synced_before = {os.path.basename(p) for k, p in events[:rename] if k == "fsync"}
    assert {"variables.npz", "state.json"} <= synced_before
    assert any(n.startswith(".tmp-") for n in synced_before)  # the folder's entries too
    assert ("fsync", str(tmp_path)) in events[rename:]  # and the rename itself


def test_a_sigterm_whose_interrupt_was_swallowed_still_stops_the_run_with_a_checkpoint(tmp_path, capsys):
    """A signal handler can run inside a ``__del__``, where Python prints its KeyboardInterrupt and drops it: the
    request it recorded stops the loop after that step, checkpointed, as an interrupt that got through would."""
    import keras

    from zoo.training import interrupt
    from zoo.training.callbacks import TrainingInterrupted

    class SwallowedSigterm(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            if self.model.completed_steps() == 1:
                try:
                    interrupt.request_stop(15, None)  # the SIGTERM handler, as it runs at a signal
                except KeyboardInterrupt:
                    pass  # ... inside a finaliser, which swallows it

    run_dir = _dirs(tmp_path)
    with pytest.raises(TrainingInterrupted):
        _run(run_dir, 6, extra_callbacks=[SwallowedSigterm()])
    status = json.load(open(os.path.join(run_dir, "status.json")))
    assert status["status"] == "interrupted" and status["step"] == 2
    assert status["checkpoint"].endswith("ckpt-00000002")
    assert "interrupted at step 2" in capsys.readouterr().err
    assert sorted(set(_steps(run_dir))) == [1, 2]  # the step the request came in was logged before the stop
    assert interrupt.stop_requested() is None  # handled once: the next run in this process is not stopped
    _, state = _run(run_dir, 3, resume=True)
    assert state.step == 3
