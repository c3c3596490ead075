"""--precision auto picks by what the machine has, says so, and records the choice (issue 28 item 4)."""

import json
import os

from recipes import celeba_dcgan
from zoo.utils.hardware import auto_precision

TINY = ["--data", "synthetic", "--image-size", "8", "--batch-size", "4", "--num-synthetic", "16",
        "--base-filters", "4", "--latent-dim", "8", "--num-samples", "4"]


def test_auto_precision_reads_the_cpu_flags_and_the_gpus():
    assert auto_precision({"avx2", "avx512f", "amx_bf16", "amx_tile"}, [])[0] == "mixed_bfloat16"
    assert auto_precision({"avx2", "avx512f", "avx512_bf16"}, [])[0] == "float32"  # AVX-512 BF16 without AMX
    assert auto_precision({"avx2"}, [(8, 0)])[0] == "mixed_float16"
    assert auto_precision({"amx_bf16"}, [(6, 1)])[0] == "mixed_bfloat16"  # a Pascal GPU has no tensor cores


def test_a_run_with_auto_records_and_says_the_precision_it_picked(tmp_path, capsys, monkeypatch):
    import zoo.utils.hardware as hardware

    for flags, expected in (({"avx2", "amx_bf16"}, "mixed_bfloat16"), ({"avx2"}, "float32")):
        monkeypatch.setattr(hardware, "_cpuinfo", lambda flags=flags: ("a CPU", flags))
        out = tmp_path / expected
        assert celeba_dcgan.main([*TINY, "--steps", "1", "--precision", "auto", "--out", str(out)]) == 0
        assert f"precision: auto -> {expected}" in capsys.readouterr().out
        (run,) = os.listdir(out)
        assert json.load(open(out / run / "config.json"))["precision"] == expected


def test_auto_precision_times_the_model_where_the_cpu_cannot_tell():
    """AVX512-BF16 without AMX: bfloat16 gained nothing for a DCGAN step and 1.5x for a VAE-GAN step on one CPU, so
    the choice is measured; the rule alone (no ``measure``) stays float32."""
    flags = {"avx2", "avx512f", "avx512_bf16"}
    fast = auto_precision(flags, [], measure=lambda p: {"float32": 1.5, "mixed_bfloat16": 1.0})
    assert fast[0] == "mixed_bfloat16" and "1.50x" in fast[1]
    assert auto_precision(flags, [], measure=lambda p: {"float32": 1.0, "mixed_bfloat16": 0.98})[0] == "float32"

    def broken(p):
        raise RuntimeError("no kernel")

    assert auto_precision(flags, [], measure=broken) == (
        "float32", "this CPU has AVX512-BF16 but no AMX; timing this model's step failed (RuntimeError: no kernel)")
    called = []
    auto_precision({"avx2", "amx_bf16"}, [], measure=lambda p: called.append(p))  # AMX: no need to measure
    auto_precision({"avx2"}, [], measure=lambda p: called.append(p))  # no bfloat16 instructions: emulated
    assert called == []


def test_the_step_probe_times_both_precisions_and_leaves_the_run_as_without_it(tmp_path, capsys, monkeypatch):
    import keras
    import numpy as np

    import zoo.utils.hardware as hardware
    from zoo.training.precision_probe import step_seconds

    cfg = celeba_dcgan.Config(data="synthetic", image_size=8, batch_size=4, num_synthetic=16, base_filters=4,
                              latent_dim=8, num_samples=4)
    before = celeba_dcgan.build(cfg).generator
    weights, paths = [w.numpy() for w in before.weights], [w.path for w in before.weights]
    keras.backend.clear_session()
    seconds = step_seconds(celeba_dcgan.build, cfg, rounds=2)
    assert set(seconds) == {"float32", "mixed_bfloat16"} and all(0 < s < 60 for s in seconds.values())
    after = celeba_dcgan.build(cfg).generator
    assert after.compute_dtype == "float32"  # the probe's bfloat16 policy did not leak
    assert all(np.array_equal(a, w.numpy()) for a, w in zip(weights, after.weights))  # same seeded start
    assert [w.path for w in after.weights] == paths  # and the same names (a checkpoint restores by them)

    monkeypatch.setattr(hardware, "_cpuinfo", lambda: ("a CPU", {"avx2", "avx512f", "avx512_bf16"}))
    out = tmp_path / "runs"
    assert celeba_dcgan.main([*TINY, "--steps", "1", "--precision", "auto", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "timing this model's training step in float32 and mixed_bfloat16" in said
    picked = said.split("precision: auto -> ")[1].split()[0]
    (run,) = os.listdir(out)
    assert json.load(open(out / run / "config.json"))["precision"] == picked in ("float32", "mixed_bfloat16")


def test_the_step_probe_times_a_critic_that_takes_several_batches_a_step():
    """WGAN-GP's step takes n_critic batches: the probe timed it on one batch, the split failed, and ``auto`` fell
    back to float32 with "timing this model's step failed" instead of measuring."""
    from recipes import celeba_wgan_gp
    from zoo.training.precision_probe import step_seconds

    cfg = celeba_wgan_gp.Config(data="synthetic", image_size=8, batch_size=4, num_synthetic=16, base_filters=4,
                                latent_dim=8, num_samples=4)
    assert cfg.n_critic == 5
    seconds = step_seconds(celeba_wgan_gp.build, cfg, rounds=1, warmup=1)
    assert set(seconds) == {"float32", "mixed_bfloat16"} and all(0 < s < 60 for s in seconds.values())


def test_workers_of_one_run_do_not_time_their_own_step(monkeypatch):
    import json as _json

    from zoo.training.precision_probe import recipe_probe

    cfg = celeba_dcgan.Config(data="synthetic", image_size=8, batch_size=4)
    assert recipe_probe(cfg, celeba_dcgan.run) is not None
    monkeypatch.setenv("TF_CONFIG", _json.dumps({"cluster": {"worker": ["a:1", "b:2"]},
                                                 "task": {"type": "worker", "index": 1}}))
    assert recipe_probe(cfg, celeba_dcgan.run) is None  # every worker takes the rule's answer, the same one
