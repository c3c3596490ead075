import numpy as np

import zoo
from recipes import celeba_dcgan
from tests.recipes.test_celeba_dcgan import TINY, _run_dir
from zoo.make_preset import make_preset
from zoo.runs import load_run


def test_run_to_preset_keeps_the_trained_generator(tmp_path):
    out = str(tmp_path / "runs")
    assert celeba_dcgan.main([*TINY, "--steps", "3", "--out", out]) == 0
    run = _run_dir(out)
    _, cfg, trainer = load_run(run)
    assert trainer.completed_steps() == 3 and cfg.image_size == 16
    preset = make_preset(run, "generator", str(tmp_path / "preset"))
    g = zoo.from_preset(preset)
    z = np.random.default_rng(0).standard_normal((4, 8)).astype("float32")
    np.testing.assert_array_equal(np.asarray(g(z)), np.asarray(trainer.generator(z)))
    meta = g.preset_metadata
    assert meta["dataset"] == "synthetic" and meta["steps_trained"] == 3 and meta["images_seen"] == 12
    assert "recipes.celeba_dcgan" in meta["training_command"] and "CC0" in meta["licence"]
    assert "g_loss" in meta["metrics"]["final_logged"]
