"""A recipe run with --augment ada logs augment_p and r_t in metrics.csv, records the flags in config.json, and a
run resumed between two p adjustments reaches the p, the controller's sums and the weights of the run that went
straight through."""

import csv
import json
import os
import shutil

import numpy as np

from recipes import celeba_dcgan

# target -1: any r_t above -1 raises p, by 4 updates x 4 images / 50 = 0.32 every 4 steps
TINY = ["--data", "synthetic", "--image-size", "8", "--batch-size", "4", "--num-synthetic", "32", "--base-filters",
        "4", "--latent-dim", "8", "--num-samples", "4", "--log-every", "1", "--augment", "ada", "--ada-target", "-1",
        "--ada-kimg", "0.05"]


def _run_dir(out):
    (name,) = os.listdir(out)
    return os.path.join(out, name)


def _rows(run):
    with open(os.path.join(run, "logs", "metrics.csv")) as f:
        return list(csv.DictReader(f))


def _last_checkpoint(run):
    ckpts = os.path.join(run, "checkpoints")
    last = sorted(d for d in os.listdir(ckpts) if d.startswith("ckpt-"))[-1]
    with np.load(os.path.join(ckpts, last, "variables.npz")) as data:
        arrays = {k: data[k] for k in data.files}
    with open(os.path.join(ckpts, last, "state.json")) as f:
        paths = json.load(f)["variable_paths"]["model"]
    return last, arrays, paths


def test_ada_is_logged_and_a_resumed_run_continues_exactly(tmp_path):
    straight, resumed = str(tmp_path / "a"), str(tmp_path / "b")
    assert celeba_dcgan.main([*TINY, "--steps", "4", "--checkpoint-every", "2", "--keep-checkpoints", "0",
                              "--out", straight]) == 0
    run_a = _run_dir(straight)
    # the same run stopped at step 2, 2 updates into an ADA interval: its folder as it was then
    run_b = os.path.join(resumed, os.path.basename(run_a))
    shutil.copytree(run_a, run_b)
    shutil.rmtree(os.path.join(run_b, "checkpoints", "ckpt-00000004"))
    assert celeba_dcgan.main([*TINY, "--steps", "4", "--out", resumed, "--resume"]) == 0

    cfg = json.load(open(os.path.join(run_a, "config.json")))
    assert (cfg["augment"], cfg["ada_target"], cfg["ada_kimg"]) == ("ada", -1.0, 0.05)
    p = {int(r["step"]): float(r["augment_p"]) for r in _rows(run_a)}
    assert (p[1], p[3], p[4]) == (0.0, 0.0, np.float32(0.32))  # adjusted after the 4th discriminator update
    assert all(-1 <= float(r["r_t"]) <= 1 for r in _rows(run_a))
    assert {int(r["step"]): float(r["augment_p"]) for r in _rows(run_b)} == p

    name_a, a, paths = _last_checkpoint(run_a)
    name_b, b, _ = _last_checkpoint(run_b)
    assert name_a == name_b == "ckpt-00000004"
    for i, path in enumerate(paths):
        key = f"model/{i:05d}"
        np.testing.assert_allclose(a[key], b[key], rtol=1e-5, atol=1e-6, err_msg=path)
    state = {p.split("/")[-1]: a[f"model/{i:05d}"] for i, p in enumerate(paths) if p.startswith("augment/")}
    assert float(state["p"]) == np.float32(0.32) and float(state["updates"]) == 4
