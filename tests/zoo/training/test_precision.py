"""--precision: every recipe builds its models under the chosen policy, with loss scaling for float16 only."""

import csv
import math
import os

import keras
import pytest

from zoo.training.setup import make_optimizer, precision_policy

TINY_VAE = ["--data", "synthetic", "--image-size", "16", "--batch-size", "4", "--num-synthetic", "16",
            "--latent-dim", "8", "--base-filters", "4", "--steps", "3", "--log-every", "1"]


def test_policy_is_set_inside_and_restored_after():
    assert keras.mixed_precision.global_policy().name == "float32"
    with precision_policy("mixed_bfloat16"):
        assert keras.mixed_precision.global_policy().name == "mixed_bfloat16"
        assert keras.layers.Dense(2).compute_dtype == "bfloat16"
    assert keras.mixed_precision.global_policy().name == "float32"
    with pytest.raises(ValueError, match="mixed_bfloat16"):
        with precision_policy("bfloat16"):
            pass


def test_loss_scaling_only_under_float16():
    with precision_policy("mixed_float16"):
        assert isinstance(make_optimizer("adam", 1e-3), keras.optimizers.LossScaleOptimizer)
    with precision_policy("mixed_bfloat16"):
        assert not isinstance(make_optimizer("adam", 1e-3), keras.optimizers.LossScaleOptimizer)
    assert not isinstance(make_optimizer("adam", 1e-3), keras.optimizers.LossScaleOptimizer)


def test_a_recipe_trains_in_bfloat16_with_float32_variables(tmp_path, monkeypatch):
    from recipes import celeba_vae

    built = {}
    original = celeba_vae.build

    def recording_build(cfg):
        trainer = original(cfg)
        built["compute"] = trainer.encoder.dtype_policy.compute_dtype
        built["trainer"] = trainer
        return trainer

    monkeypatch.setattr(celeba_vae, "build", recording_build)
    assert celeba_vae.main([*TINY_VAE, "--precision", "mixed_bfloat16", "--out", str(tmp_path)]) == 0
    assert built["compute"] == "bfloat16"
    assert {v.dtype for v in built["trainer"].trainable_variables} == {"float32"}
    assert keras.mixed_precision.global_policy().name == "float32"  # a run does not leak its policy
    run = os.path.join(tmp_path, os.listdir(tmp_path)[0])
    rows = list(csv.DictReader(open(os.path.join(run, "logs", "metrics.csv"))))
    assert rows and all(math.isfinite(float(r["loss"])) for r in rows)
