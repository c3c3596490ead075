"""Acceptance test of crash safety: a training run SIGKILLed at random moments, several times, some of them
inside a checkpoint write, and resumed each time, ends with the weights (and the metrics rows) of a run that was
never interrupted."""

import csv
import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from tests.conftest import ROOT
from zoo.training.checkpoint import PAUSE_ENV, latest_checkpoint

STEPS = 12
CMD = [sys.executable, "-m", "recipes.celeba_dcgan", "--data", "synthetic", "--image-size", "8", "--batch-size", "4",
       "--num-synthetic", "16", "--base-filters", "4", "--latent-dim", "8", "--num-samples", "4", "--no-jit-compile",
       "--steps", str(STEPS), "--checkpoint-every", "1", "--log-every", "1"]


def _env(pause):
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", PAUSE_ENV: str(pause)}


def _run_dir(out):
    runs = sorted(os.listdir(out)) if os.path.isdir(out) else []
    return os.path.join(out, runs[-1]) if runs else None


def _step(run_dir):
    path = latest_checkpoint(os.path.join(run_dir, "checkpoints")) if run_dir else None
    return int(os.path.basename(path)[5:]) if path else 0


def _in_write(run_dir):
    ckpts = os.path.join(run_dir, "checkpoints") if run_dir else ""
    return os.path.isdir(ckpts) and any(d.startswith(".tmp-") and os.path.isdir(os.path.join(ckpts, d))
                                        for d in os.listdir(ckpts))


def _wait(proc, ready, timeout=120.0):
    """Poll until ``ready()`` or the process ends; True if ready while it still runs."""
    end = time.time() + timeout
    while time.time() < end and proc.poll() is None:
        if ready():
            return True
        time.sleep(0.005)
    return False


def _weights(run_dir):
    with np.load(os.path.join(latest_checkpoint(os.path.join(run_dir, "checkpoints")), "variables.npz")) as z:
        return {k: z[k] for k in z.files}


def _metric_steps(run_dir):
    return [r["step"] for r in csv.DictReader(open(os.path.join(run_dir, "logs", "metrics.csv")))]


@pytest.mark.slow
def test_sigkill_at_random_moments_then_resume_reaches_the_uninterrupted_weights(tmp_path):
    ref_out, out = str(tmp_path / "ref"), str(tmp_path / "killed")
    subprocess.run([*CMD, "--out", ref_out], cwd=ROOT, env=_env(0), check=True, capture_output=True, timeout=300)
    ref = _run_dir(ref_out)

    rng = random.Random(15)
    kills = []
    for kind in ("start-up", "in checkpoint write", "mid-step"):
        run_dir = _run_dir(out)
        resume = ["--resume", run_dir] if run_dir else []
        before = _step(run_dir)
        proc = subprocess.Popen([*CMD, "--out", out, *resume], cwd=ROOT, env=_env(0.2),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            if kind == "start-up":
                _wait(proc, lambda: False, timeout=rng.uniform(0.5, 2.0))
            elif kind == "in checkpoint write":
                assert _wait(proc, lambda: _step(_run_dir(out)) > before and _in_write(_run_dir(out))), kind
            else:
                assert _wait(proc, lambda: _step(_run_dir(out)) > before), kind
                time.sleep(rng.uniform(0.0, 0.3))
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.wait(timeout=60)
        kills.append((kind, _step(_run_dir(out))))
    run_dir = _run_dir(out)
    assert 0 < _step(run_dir) < STEPS, kills  # the kills really interrupted the run
    done = subprocess.run([*CMD, "--out", out, "--resume", run_dir], cwd=ROOT, env=_env(0), capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert _step(run_dir) == STEPS
    want, got = _weights(ref), _weights(run_dir)
    assert sorted(want) == sorted(got)
    for k in want:
        np.testing.assert_allclose(got[k], want[k], rtol=1e-5, atol=1e-6, err_msg=f"{k} after kills {kills}")
    assert _metric_steps(run_dir) == _metric_steps(ref)
    assert not [d for d in os.listdir(os.path.join(run_dir, "checkpoints")) if d.startswith(".tmp-")]
