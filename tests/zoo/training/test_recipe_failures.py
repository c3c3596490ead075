"""A recipe's command line under failure: signals during start-up, unusable --out, a full disk, failed starts."""

import errno
import json
import os
import signal

import numpy as np

from recipes import celeba_dcgan

TINY = ["--data", "synthetic", "--image-size", "8", "--batch-size", "4", "--num-synthetic", "16",
        "--base-filters", "4", "--latent-dim", "8", "--num-samples", "4", "--no-jit-compile"]


def _runs(out):
    return sorted(d for d in os.listdir(out) if d.endswith("-celeba_dcgan")) if os.path.isdir(out) else []


def _one_line_error(err):
    lines = [ln for ln in err.splitlines() if "error:" in ln]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_sigterm_during_start_up_says_so_and_writes_status(tmp_path, capsys, monkeypatch):
    import zoo.training.setup as setup

    load = setup.load_training_source

    def load_then_killed(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)  # a scheduler stops the job while the data loads
        return load(*args, **kwargs)

    monkeypatch.setattr(setup, "load_training_source", load_then_killed)
    out = str(tmp_path / "r")
    assert celeba_dcgan.main([*TINY, "--steps", "2", "--out", out]) == 130
    err = capsys.readouterr().err
    assert "interrupted before training started" in err and "no checkpoint was written" in err
    status = json.load(open(os.path.join(out, _runs(out)[0], "status.json")))
    assert status["status"] == "interrupted" and status["checkpoint"] is None


def test_out_that_is_a_file_or_read_only_is_a_one_line_error(tmp_path, capsys, monkeypatch):
    afile = tmp_path / "runs.txt"
    afile.write_text("not a folder")
    assert celeba_dcgan.main([*TINY, "--steps", "1", "--out", str(afile)]) == 2
    line = _one_line_error(capsys.readouterr().err)
    assert str(afile) in line and "is a file" in line
    # root ignores permission bits, so the read-only file system is simulated where folders are made
    ro = str(tmp_path / "ro")
    real = os.makedirs

    def read_only(path, *a, **k):
        if str(path).startswith(ro):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real(path, *a, **k)

    monkeypatch.setattr(os, "makedirs", read_only)
    assert celeba_dcgan.main([*TINY, "--steps", "1", "--out", ro]) == 2
    line = _one_line_error(capsys.readouterr().err)
    assert ro in line and "Read-only file system" in line


def test_a_full_disk_at_a_checkpoint_is_a_clear_error_and_keeps_the_previous_one(tmp_path, capsys, monkeypatch):
    import zoo.training.checkpoint as checkpoint

    out = str(tmp_path / "r")
    assert celeba_dcgan.main([*TINY, "--steps", "2", "--out", out]) == 0
    run = os.path.join(out, _runs(out)[0])
    ckpts = os.path.join(run, "checkpoints")
    before = sorted(os.listdir(ckpts))
    capsys.readouterr()

    def full(f, **arrays):
        f.write(b"PK\x03\x04 partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(checkpoint.np, "savez", full)
    assert celeba_dcgan.main([*TINY, "--steps", "4", "--out", out, "--resume"]) == 2
    line = _one_line_error(capsys.readouterr().err)
    assert "No space left on device" in line and ckpts in line and "step 4" in line
    monkeypatch.undo()
    assert sorted(os.listdir(ckpts)) == before  # no half-written folder, the step-2 checkpoint untouched
    assert checkpoint.latest_checkpoint(ckpts).endswith("ckpt-00000002")
    status = json.load(open(os.path.join(run, "status.json")))
    assert status["status"] == "failed" and "No space left" in status["reason"]


def test_a_failed_start_leaves_no_run_folder_and_resume_takes_the_newest_run_with_a_checkpoint(tmp_path, capsys):
    out = str(tmp_path / "r")
    assert celeba_dcgan.main([*TINY, "--steps", "2", "--out", out]) == 0
    good = _runs(out)
    assert celeba_dcgan.main([*TINY, "--data", "celeba", "--data-dir", "/nonexistent", "--out", out]) == 2
    assert _runs(out) == good  # the missing dataset left nothing behind
    os.makedirs(os.path.join(out, "00007-celeba_dcgan", "checkpoints"))  # a run killed before its first checkpoint
    open(os.path.join(out, "00007-celeba_dcgan", "config.json"), "w").write("{}")
    capsys.readouterr()
    assert celeba_dcgan.main([*TINY, "--steps", "3", "--out", out, "--resume"]) == 0
    text = capsys.readouterr().out
    assert f"resuming {os.path.join(out, good[0])}" in text and "at step 2" in text
    assert np.isclose(json.load(open(os.path.join(out, good[0], "status.json")))["step"], 3)
