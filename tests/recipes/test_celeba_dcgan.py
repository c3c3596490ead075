import json
import os
import subprocess
import sys

import pytest

from recipes import celeba_dcgan
from tests.conftest import ROOT, UTKFACE_REAL, needs_real_utkface

TINY = ["--data", "synthetic", "--image-size", "16", "--batch-size", "4", "--num-synthetic", "64",
        "--base-filters", "4", "--latent-dim", "8"]


def _run_dir(out):
    runs = [d for d in os.listdir(out) if d.endswith("-celeba_dcgan")]
    assert len(runs) == 1, runs
    return os.path.join(out, runs[0])


def test_two_steps_write_the_run_and_resume_continues(tmp_path, capsys):
    out = str(tmp_path / "r")
    assert celeba_dcgan.main([*TINY, "--steps", "2", "--out", out]) == 0
    run = _run_dir(out)
    cfg = json.load(open(os.path.join(run, "config.json")))
    assert cfg["image_size"] == 16 and cfg["steps"] == 2
    assert os.listdir(os.path.join(run, "checkpoints"))
    assert os.path.isfile(os.path.join(run, "samples", "latest.png"))
    assert os.path.isfile(os.path.join(run, "plots", "losses.png"))
    assert os.listdir(os.path.join(run, "logs", "tensorboard"))
    capsys.readouterr()
    assert celeba_dcgan.main([*TINY, "--steps", "2", "--out", out, "--resume"]) == 0
    assert "at step 2" in capsys.readouterr().out  # nothing redone
    assert celeba_dcgan.main([*TINY, "--steps", "5", "--out", out, "--resume"]) == 0
    assert "resumed from" in capsys.readouterr().out
    assert json.load(open(os.path.join(run, "status.json")))["step"] == 5
    assert _run_dir(out) == run  # same folder, not a new run


def test_dry_run_prints_the_paper_defaults(capsys):
    assert celeba_dcgan.main(["--dry-run"]) == 0
    out = capsys.readouterr().out
    cfg = json.loads(out[: out.rindex("}") + 1])
    assert (cfg["latent_dim"], cfg["batch_size"], cfg["image_size"], cfg["learning_rate"]) == (100, 128, 64, 2e-4)
    assert cfg["beta_1"] == 0.5 and cfg["epochs"] == 60 and "Adam" in out


def test_missing_celeba_is_a_clear_error(tmp_path, capsys):
    code = celeba_dcgan.main(["--data", "celeba", "--data-dir", "/nonexistent", "--steps", "1",
                              "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "/nonexistent" in err and "img_align_celeba" in err and "Traceback" not in err


def test_unknown_flag_exits_nonzero_naming_it():
    p = subprocess.run([sys.executable, "-m", "recipes.celeba_dcgan", "--no-such-flag"], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode != 0 and "--no-such-flag" in p.stderr


@needs_real_utkface()
def test_real_utkface_two_steps(tmp_path):
    assert celeba_dcgan.main(["--data", "utkface", "--data-dir", UTKFACE_REAL, "--image-size", "16",
                              "--batch-size", "4", "--steps", "2", "--base-filters", "4",
                              "--out", str(tmp_path)]) == 0


def test_sigterm_saves_a_checkpoint_and_resume_keeps_the_first_command(tmp_path):
    import signal
    import time

    out = str(tmp_path / "r")
    cmd = [sys.executable, "-m", "recipes.celeba_dcgan", *TINY, "--steps", "100000", "--checkpoint-every", "0",
           "--no-jit-compile", "--out", out]
    p = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 240
    metrics = None
    while time.time() < deadline:  # wait until training is under way
        runs = os.listdir(out) if os.path.isdir(out) else []
        if runs:
            metrics = os.path.join(out, runs[0], "logs", "metrics.csv")
            if os.path.isfile(metrics) and len(open(metrics).read().splitlines()) > 2:
                break
        time.sleep(0.5)
    p.send_signal(signal.SIGTERM)
    output = p.communicate(timeout=120)[0]
    assert p.returncode == 130, output
    run = _run_dir(out)
    status = json.load(open(os.path.join(run, "status.json")))
    assert status["status"] == "interrupted" and status["step"] > 0
    assert os.listdir(os.path.join(run, "checkpoints"))  # saved on the way out, with no periodic checkpoint
    assert celeba_dcgan.main([*TINY, "--steps", str(status["step"] + 1), "--out", out, "--resume",
                              "--no-jit-compile"]) == 0
    record = json.load(open(os.path.join(run, "command.json")))
    assert "100000" in record["argv"] and len(record["resumed_with"]) == 1
