"""recipes.celeba_ddim: the keras.io DDIM defaults, a run that writes its files, resumes as if it had not stopped,
and becomes a preset that samples the same images in a fresh process."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from recipes import celeba_ddim
from tests.conftest import ROOT
from tests.recipes._family import TINY, assert_run_written, dry_run, only_run

SMALL = [*TINY, "--widths", "4,8", "--block-depth", "1", "--embedding-dims", "4", "--sample-steps", "3",
         "--statistics-images", "8"]


def test_dry_run_shows_the_reference_defaults(capsys):
    cfg, out = dry_run(celeba_ddim.main, [], capsys)
    assert (cfg["image_size"], cfg["batch_size"], cfg["widths"], cfg["block_depth"]) == (64, 64, [32, 64, 96, 128], 2)
    assert (cfg["min_signal_rate"], cfg["max_signal_rate"], cfg["ema"], cfg["sample_steps"]) == (0.02, 0.95, 0.999, 20)
    assert (cfg["loss"], cfg["prediction"], cfg["learning_rate"], cfg["weight_decay"]) == ("mae", "noise", 1e-3, 1e-4)
    assert "AdamW(learning_rate=0.001" in out and "weight_decay=0.0001" in out


def test_bad_settings_are_refused_before_training(tmp_path, capsys):
    for flags, words in ((["--image-size", "17"], "multiple of 2"), (["--widths", "8"], "at least two"),
                         (["--min-signal-rate", "0.9", "--max-signal-rate", "0.5"], "below"),
                         (["--embedding-dims", "5"], "even")):
        with pytest.raises(SystemExit) as exit_:  # argparse's error: usage and one sentence
            celeba_ddim.main([*SMALL, *flags, "--out", str(tmp_path)])
        err = capsys.readouterr().err
        assert exit_.value.code == 2 and words in err and "Traceback" not in err, (flags, err)
    assert not os.listdir(tmp_path)


def test_a_resumed_run_ends_with_the_weights_of_an_uninterrupted_one(tmp_path):
    whole, parts = str(tmp_path / "whole"), str(tmp_path / "parts")
    assert celeba_ddim.main([*SMALL, "--steps", "4", "--out", whole]) == 0
    assert celeba_ddim.main([*SMALL, "--steps", "2", "--out", parts]) == 0
    assert celeba_ddim.main([*SMALL, "--steps", "4", "--out", parts, "--resume"]) == 0
    from zoo.runs import load_run

    a, b = (load_run(only_run(o, "celeba_ddim"))[2] for o in (whole, parts))
    assert a.completed_steps() == b.completed_steps() == 4
    for x, y in zip(a.weights, b.weights):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y), err_msg=x.path)


def test_two_steps_make_a_preset_that_samples_the_same_images_in_a_fresh_process(tmp_path):
    out = str(tmp_path / "r")
    assert celeba_ddim.main([*SMALL, "--out", out]) == 0
    run = only_run(out, "celeba_ddim")
    fields = assert_run_written(run)
    assert {"loss", "image_loss"} <= set(fields)
    from zoo.make_preset import make_preset
    from zoo.registry import from_preset

    preset = str(tmp_path / "preset")
    make_preset(run, None, preset)
    model = from_preset(preset)
    assert type(model).__name__ == "DDIMSampler" and model.latent_dim == 16 * 16 * 3
    meta = json.load(open(os.path.join(preset, "metadata.json")))
    assert meta["run_model"]["part"] == "generator"
    z = np.random.default_rng(0).standard_normal((2, model.latent_dim)).astype("float32")
    expected = np.asarray(model(z))
    assert expected.shape == (2, 16, 16, 3)
    np.save(tmp_path / "z.npy", z)
    code = ("import sys, numpy as np, zoo; m = zoo.from_preset(sys.argv[1]); "
            "np.save(sys.argv[3], np.asarray(m(np.load(sys.argv[2]))))")
    env = {**os.environ, "PYTHONPATH": ROOT, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    p = subprocess.run([sys.executable, "-c", code, preset, str(tmp_path / "z.npy"), str(tmp_path / "y.npy")],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), expected)


def test_distance_during_training_is_measured_on_the_validation_faces(tmp_path, utkface_dir):
    import csv

    from zoo.metrics.training_distance import reference_spec

    out = str(tmp_path / "r")
    args = [*SMALL, "--data", "utkface", "--data-dir", utkface_dir, "--train-on", "train", "--batch-size", "2",
            "--steps", "8", "--epochs", "2", "--metric-every", "1", "--metric-images", "4",
            "--metric-extractor", "classifier_gender_utkface_48", "--out", out]
    assert celeba_ddim.main(args) == 0
    run = only_run(out, "celeba_ddim")
    rows = list(csv.DictReader(open(os.path.join(run, "logs", "distance.csv"))))
    assert [r["epoch"] for r in rows] == ["1", "2"] and all(float(r["fd[classifier_gender_utkface_48]"]) > 0
                                                            for r in rows)
    assert os.path.isfile(os.path.join(run, "plots", "distance.png"))
    cfg = celeba_ddim.Config(data="utkface", data_dir=utkface_dir, train_on="train")
    assert reference_spec(cfg) == (f"utkface:{utkface_dir}", "validation")
    assert reference_spec(celeba_ddim.Config(data="utkface", data_dir=utkface_dir))[1] is None
