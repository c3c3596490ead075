"""A diffusion preset exports its denoiser (two inputs, dynamic batch, parity <= 1e-4, a card with the sampling
settings), and export.runtime_ddim samples it without TensorFlow exactly as DDIMSampler does."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STEPS = 3
PIXEL_MEAN, PIXEL_STD = [0.1, -0.2, 0.05], [0.5, 0.6, 0.4]

from tests.export.test_runtime import BLOCKED  # tensorflow, keras, tf2onnx and zoo cannot be imported


def _sampler(prediction="velocity", denoiser=None):
    from zoo.models.diffusion import DDIMSampler, UNetDenoiser

    denoiser = denoiser or UNetDenoiser(16, 3, (4, 8), 1, 4, name="denoiser")
    sampler = DDIMSampler(denoiser, 16, 3, STEPS, prediction=prediction, name="generator")
    sampler.build((None, sampler.latent_dim))
    return sampler


@pytest.fixture(scope="module")
def preset(tmp_path_factory):
    """(sampler, exported folder): a tiny DDIM preset with non-trivial weights (the head is zero-initialised, which
    would make every prediction 0) and normalisation, exported through the CLI. It predicts velocity: the image
    estimate of an untrained noise predictor at t = 1 is (z - 0.9998 eps) / 0.02, clipped to +-1 almost everywhere,
    while a velocity predictor's, 0.02 z - 0.9998 v, stays in range (noise prediction: see the velocity test)."""
    import keras

    from export.__main__ import main
    from zoo.registry import from_preset, save_to_preset

    keras.utils.set_random_seed(0)
    sampler = _sampler()
    rng = np.random.default_rng(0)
    sampler.denoiser.set_weights([w + rng.normal(0.0, 0.2, w.shape).astype(w.dtype) if w.ndim > 1
                                  else w + rng.uniform(0.0, 0.1, w.shape).astype(w.dtype)
                                  for w in sampler.denoiser.get_weights()])
    sampler.pixel_mean.assign(PIXEL_MEAN)
    sampler.pixel_std.assign(PIXEL_STD)
    folder = str(tmp_path_factory.mktemp("ddim_preset"))
    save_to_preset(sampler, folder, {"dataset": "synthetic", "resolution": 16})
    out = str(tmp_path_factory.mktemp("ddim_onnx"))
    assert main(["--preset", folder, "--format", "onnx", "--out", out]) == 0
    return from_preset(folder), out


def _latents(n, seed=1):
    return np.random.default_rng(seed).standard_normal((n, 16 * 16 * 3)).astype(np.float32)


def test_the_denoiser_is_exported_with_dynamic_batch_parity_and_sampling_settings(preset):
    import onnxruntime as ort

    sampler, out = preset
    path = os.path.join(out, "denoiser.onnx")
    card = json.load(open(path + ".json"))
    assert card["kind"] == "denoiser" and card["class_name"] == "UNetDenoiser"
    assert card["parity"]["ok"] and card["parity"]["max_abs_diff"] <= 1e-4 and len(card["parity"]["checks"]) == 3
    assert [i["name"] for i in card["inputs"]] == ["noisy_images", "noise_variances"]
    settings = card["diffusion"]
    assert {k: settings[k] for k in ("image_size", "channels", "latent_dim", "steps", "prediction")} == \
        {"image_size": 16, "channels": 3, "latent_dim": 768, "steps": STEPS, "prediction": "velocity"}
    assert (settings["min_signal_rate"], settings["max_signal_rate"]) == (0.02, 0.95)
    np.testing.assert_allclose(settings["pixel_mean"], PIXEL_MEAN, rtol=1e-6)
    np.testing.assert_allclose(settings["pixel_std"], PIXEL_STD, rtol=1e-6)
    assert settings["value_range"] == [-1.0, 1.0]

    # Our own check on other inputs, at a batch size the parity check did not use.
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    assert [(i.name, i.shape) for i in session.get_inputs()] == \
        [("noisy_images", ["batch", 16, 16, 3]), ("noise_variances", ["batch", 1, 1, 1])]
    rng = np.random.default_rng(5)
    x = rng.standard_normal((5, 16, 16, 3)).astype(np.float32)
    v = rng.uniform(0.1, 0.99, (5, 1, 1, 1)).astype(np.float32)
    got = session.run(None, {"noisy_images": x, "noise_variances": v})[0]
    expected = np.asarray(sampler.denoiser([x, v]))
    assert np.abs(expected).max() > 0.5  # a prediction, not the zero-initialised head's zeros
    assert np.abs(got - expected).max() <= 1e-4


def test_savedmodel_export_of_the_denoiser_passes_parity(preset, tmp_path):
    from export.exporter import export_model

    sampler, _ = preset
    (card,) = export_model(sampler, str(tmp_path), "savedmodel", log=print)
    assert card["part"] == "denoiser" and card["format"] == "savedmodel" and card["parity"]["ok"]
    assert card["diffusion"]["steps"] == STEPS and os.path.isdir(tmp_path / "denoiser.savedmodel")


def test_a_diffusion_trainer_exports_its_ema_sampler_denoiser():
    from export.exporter import inference_parts
    from zoo.models.diffusion import UNetDenoiser
    from zoo.trainers.diffusion_trainer import DiffusionTrainer

    sampler = _sampler()
    trainer = DiffusionTrainer(UNetDenoiser(16, 3, (4, 8), 1, 4), sampler)
    (part,) = inference_parts(trainer)
    assert (part.name, part.kind) == ("denoiser", "denoiser")
    assert part.model is sampler.denoiser and part.owner is sampler  # the EMA copy, not the trained network


def test_runtime_ddim_matches_the_keras_sampler_step_for_step(preset):
    from export.runtime_ddim import OnnxDDIM

    sampler, out = preset
    ddim = OnnxDDIM(os.path.join(out, "denoiser.onnx"))
    assert (ddim.steps, ddim.latent_dim, ddim.image_shape) == (STEPS, 768, (16, 16, 3))
    z = _latents(4)
    for steps in (None, 1, 2):
        expected = np.asarray(sampler.generate(z, steps=steps))
        got = ddim.generate(z, steps=steps, batch_size=3)  # two ONNX Runtime calls per step
        assert np.mean(np.abs(expected) < 0.99) > 0.3  # images, not noise clipped to +-1 everywhere
        assert np.abs(got - expected).max() <= 1e-4, steps
    noise_images = z.reshape(4, 16, 16, 3)
    np.testing.assert_array_equal(ddim.generate(noise_images), ddim.generate(z))
    assert np.abs(ddim.generate(z) - ddim.generate(z, steps=2)).max() > 1e-2  # the step count is used

    uint8 = ddim.sample(3, seed=7)
    assert uint8.dtype == np.uint8 and uint8.shape == (3, 16, 16, 3)
    expected = np.round((np.asarray(sampler.generate(_latents(3, seed=7))) + 1) * 127.5)
    assert np.max(np.abs(uint8.astype(int) - expected)) <= 1


def test_runtime_noise_prediction_matches_the_keras_sampler(preset, tmp_path):
    from export.runtime_ddim import OnnxDDIM

    sampler, out = preset
    # The same denoiser read as a noise predictor; a tiny pixel_std brings its large image estimates into range.
    noise = _sampler("noise", sampler.denoiser)
    noise.pixel_mean.assign(PIXEL_MEAN)
    noise.pixel_std.assign([0.003] * 3)
    path = str(tmp_path / "denoiser.onnx")
    shutil.copy(os.path.join(out, "denoiser.onnx"), path)
    card = json.load(open(os.path.join(out, "denoiser.onnx.json")))
    card["diffusion"].update(prediction="noise", pixel_std=[0.003] * 3)
    json.dump(card, open(path + ".json", "w"))
    z = _latents(2)
    expected = np.asarray(noise.generate(z))
    assert np.mean(np.abs(expected) < 0.99) > 0.3
    assert np.abs(OnnxDDIM(path).generate(z) - expected).max() <= 1e-4


def test_stochastic_sampling_is_reproducible_and_uses_the_keras_formula(preset, monkeypatch):
    import keras

    from export.runtime_ddim import OnnxDDIM

    sampler, out = preset
    ddim = OnnxDDIM(os.path.join(out, "denoiser.onnx"))
    z = _latents(3)
    a, b = ddim.generate(z, eta=0.7, seed=4), ddim.generate(z, eta=0.7, seed=4)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - ddim.generate(z)).max() > 1e-2 and np.abs(a - ddim.generate(z, eta=0.7, seed=5)).max() > 1e-2
    np.testing.assert_array_equal(ddim.sample(2, seed=3, eta=1.0), ddim.sample(2, seed=3, eta=1.0))
    assert not np.array_equal(ddim.sample(2, seed=3, eta=1.0), ddim.sample(2, seed=3))

    # The Keras sampler fed the runtime's fresh noise (numpy's default_rng(seed), one draw per update) gives the
    # runtime's images: the same eta > 0 update, step for step.
    rng = np.random.default_rng(4)
    monkeypatch.setattr(keras.random, "normal",
                        lambda shape, seed=None: keras.ops.convert_to_tensor(
                            rng.standard_normal(tuple(shape)).astype(np.float32)))
    assert np.abs(np.asarray(sampler.generate(z, eta=0.7, seed=4)) - a).max() <= 1e-4


def test_the_runtime_schedule_is_the_zoo_schedule():
    from export import runtime_ddim as rt
    from zoo.models.diffusion import schedule as zoo

    rng = np.random.default_rng(0)
    times = rng.uniform(0, 1, (6, 1, 1, 1)).astype(np.float32)
    for got, want in zip(rt.cosine_schedule(times, 0.03, 0.9), zoo.cosine_schedule(times, 0.03, 0.9, xp=np)):
        assert got.dtype == np.float32 and np.array_equal(got, want)
    noise, signal = zoo.cosine_schedule(times, xp=np)
    next_noise, next_signal = zoo.cosine_schedule(times * 0.5, xp=np)
    out, x, fresh = (rng.standard_normal((6, 4, 4, 3)).astype(np.float32) for _ in range(3))
    for prediction in zoo.PREDICTIONS:
        for got, want in zip(rt.split_prediction(prediction, out, x, noise, signal),
                             zoo.split_prediction(prediction, out, x, noise, signal)):
            np.testing.assert_array_equal(got, want)
    for eta in (0.0, 0.5, 1.0):
        np.testing.assert_array_equal(
            rt.ddim_update(out, x, next_noise, next_signal, noise, signal, eta, fresh),
            zoo.ddim_update(out, x, next_noise, next_signal, noise, signal, eta=eta, fresh_noise=fresh, xp=np))
    for steps in (1, 3, 20):
        assert rt.sampling_times(steps) == zoo.sampling_times(steps)


def test_runtime_ddim_samples_without_tensorflow_and_the_wheel_carries_it(preset, tmp_path):
    import zipfile

    from export.runtime_wheel import build

    _, out = preset
    path = os.path.join(out, "denoiser.onnx")
    code = BLOCKED + """
import json
import numpy as np
from export.runtime_ddim import OnnxDDIM
from export.sample import main
path, out = sys.argv[1], sys.argv[2]
np.save(out + "/sample.npy", OnnxDDIM(path).sample(2, seed=0, steps=2))
assert main([path, "--n", "4", "--seed", "0", "--steps", "2", "--out", out + "/a.png"]) == 0
assert main([path, "--n", "4", "--seed", "0", "--steps", "2", "--out", out + "/b.png"]) == 0
assert main([path, "--n", "4", "--seed", "0", "--out", out + "/c.png"]) == 0
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras", "zoo"))))
"""
    result = subprocess.run([sys.executable, "-c", code, path, str(tmp_path)], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
    assert np.load(tmp_path / "sample.npy").shape == (2, 16, 16, 3)
    a, b, c = ((tmp_path / f"{n}.png").read_bytes() for n in "abc")
    assert a == b and a != c  # same seed and steps, same PNG; 3 steps (the card's) rather than 2, other faces

    with zipfile.ZipFile(build(str(tmp_path / "dist"))) as whl:
        assert "export/runtime_ddim.py" in whl.namelist()


def _card_copy(out, tmp_path, edit):
    path = str(tmp_path / "denoiser.onnx")
    shutil.copy(os.path.join(out, "denoiser.onnx"), path)
    card = json.load(open(os.path.join(out, "denoiser.onnx.json")))
    edit(card)
    with open(path + ".json", "w") as f:
        f.write(json.dumps(card))
    return path


@pytest.mark.parametrize("edit, message", [
    (lambda c: c.update(kind="generator"), r"not the model card of a diffusion denoiser \(kind \"generator\""),
    (lambda c: c.pop("diffusion"), r"no 'diffusion' entry"),
    (lambda c: c["diffusion"].update(prediction="x0"), r"diffusion.prediction must be one of noise, velocity, got \"x0\""),
    (lambda c: c["diffusion"].update(steps=0), r"diffusion.steps must be an integer >= 1, got 0"),
    (lambda c: c["diffusion"].update(pixel_std=[0.5, 0.5]), r"diffusion.pixel_std must be a list of 3 finite numbers"),
    (lambda c: c["diffusion"].update(pixel_std=[0.5, 0.0, 0.5]), r"pixel_std must be .*, all > 0, got \[0.5, 0.0"),
    (lambda c: c["diffusion"].update(min_signal_rate=0.99), r"need 0 < diffusion.min_signal_rate < "),
    (lambda c: c["diffusion"].update(value_range=[1, -1]), r"diffusion.value_range: range \[1, -1\] is not a value"),
    (lambda c: c["diffusion"].update(image_size=32), r"a denoiser of 32x32x3 images \(as its card says\) takes "
                                                     r"noisy_images \['batch', 32, 32, 3\]"),
])
def test_a_bad_card_is_refused_with_a_sentence(preset, tmp_path, capsys, edit, message):
    from export.runtime_ddim import OnnxDDIM
    from export.sample import main

    path = _card_copy(preset[1], tmp_path, edit)
    with pytest.raises(ValueError, match=message):
        OnnxDDIM(path)
    capsys.readouterr()
    if json.load(open(path + ".json")).get("kind") == "denoiser":  # else export.sample treats it as a generator
        assert main([path, "--n", "1", "--out", str(tmp_path / "x.png")]) == 2
        err = capsys.readouterr().err
        assert "error:" in err and "Traceback" not in err and not os.path.exists(tmp_path / "x.png")


def test_a_missing_card_and_bad_inputs_are_refused(preset, tmp_path):
    from export.runtime_ddim import OnnxDDIM

    _, out = preset
    lone = str(tmp_path / "denoiser.onnx")
    shutil.copy(os.path.join(out, "denoiser.onnx"), lone)
    with pytest.raises(ValueError, match=r"denoiser.onnx.json: no model card; a diffusion denoiser needs the card"):
        OnnxDDIM(lone)

    ddim = OnnxDDIM(os.path.join(out, "denoiser.onnx"))
    with pytest.raises(ValueError, match=r"z must have shape float32 \[batch, 768\] \(or noise images \[batch, 16, "
                                         r"16, 3\]\), got float32 \[2, 100\]"):
        ddim.generate(np.zeros((2, 100), np.float32))
    with pytest.raises(ValueError, match=r"got float32 \[0, 768\]"):
        ddim.generate(np.zeros((0, 768), np.float32))
    with pytest.raises(TypeError, match=r"z must be float32, got float64"):
        ddim.generate(np.zeros((2, 768)))
    z = _latents(3)
    z[1, 5] = np.nan
    with pytest.raises(ValueError, match=r"z must be finite; rows \[1\] hold NaN or inf"):
        ddim.generate(z)
    for kwargs, message in (({"steps": 0}, "steps must be an integer >= 1"), ({"steps": 2.5}, "steps must be"),
                            ({"eta": -0.1}, "eta must be a finite number >= 0"), ({"eta": float("nan")}, "eta must"),
                            ({"eta": 0.5}, r"stochastic sampling \(eta > 0\) needs a seed"),
                            ({"batch_size": 0}, "batch_size must be an integer from 1 to")):
        with pytest.raises(ValueError, match=message):
            ddim.generate(_latents(1), **kwargs)
    with pytest.raises(ValueError, match="n must be a positive integer, got 0"):
        ddim.sample(0)
