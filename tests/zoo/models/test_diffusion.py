"""The diffusion family: schedule, U-Net, DDIM sampling against an exact denoiser, inversion, SDEdit, round trips."""

import keras
import numpy as np
import pytest

from zoo.models.diffusion import UNetDenoiser
from zoo.models.diffusion import schedule as sched

from tests.zoo.models.gaussian_denoiser import MU, SIGMA, exact_sampler


@pytest.mark.parametrize("xp", ["numpy", "keras"])
def test_schedule_rates_are_on_the_unit_circle_and_monotone(xp):
    t = np.linspace(0, 1, 101).astype("float32")
    noise, signal = sched.cosine_schedule(t, 0.02, 0.95, xp=np if xp == "numpy" else keras.ops)
    noise, signal = np.asarray(noise), np.asarray(signal)
    np.testing.assert_allclose(noise ** 2 + signal ** 2, 1.0, atol=1e-6)
    assert np.all(np.diff(signal) < 0) and np.all(np.diff(noise) > 0)
    np.testing.assert_allclose([signal[0], signal[-1]], [0.95, 0.02], atol=1e-6)


@pytest.mark.parametrize("prediction", ["noise", "velocity"])
def test_prediction_target_and_split_are_inverse(prediction):
    rng = np.random.default_rng(0)
    x, eps = rng.standard_normal((2, 4, 4, 1)), rng.standard_normal((2, 4, 4, 1))
    noise, signal = sched.cosine_schedule(rng.uniform(0, 1, (2, 1, 1, 1)))
    z = signal * x + noise * eps
    target = sched.training_target(prediction, x, eps, noise, signal)
    got_eps, got_x = sched.split_prediction(prediction, target, z, noise, signal)
    np.testing.assert_allclose(got_eps, eps, atol=1e-9)
    np.testing.assert_allclose(got_x, x, atol=1e-9)


@pytest.mark.parametrize("prediction,eta", [("noise", 0.0), ("velocity", 0.0), ("noise", 1.0)])
def test_sampling_with_the_exact_denoiser_recovers_the_data_distribution(prediction, eta):
    sampler = exact_sampler(prediction=prediction)
    z = np.random.default_rng(1).standard_normal((100, sampler.latent_dim)).astype("float32")
    noise = z.reshape(-1, 8, 8, 1)
    x = np.asarray(sampler.reverse(noise, eta=eta, seed=0 if eta else None))
    assert abs(x.mean() - MU) < 0.05 and abs(x.std() - SIGMA) < 0.05, (x.mean(), x.std())


def test_deterministic_sampling_is_a_function_of_z_and_stochastic_sampling_of_its_seed():
    sampler = exact_sampler(steps=10)
    z = np.random.default_rng(2).standard_normal((3, sampler.latent_dim)).astype("float32")
    np.testing.assert_array_equal(np.asarray(sampler(z)), np.asarray(sampler(z)))
    a = np.asarray(sampler.generate(z, eta=1.0, seed=5))
    np.testing.assert_array_equal(a, np.asarray(sampler.generate(z, eta=1.0, seed=5)))
    assert np.abs(a - np.asarray(sampler.generate(z, eta=1.0, seed=6))).max() > 0.01
    assert np.abs(a - np.asarray(sampler(z))).max() > 0.01
    with pytest.raises(ValueError, match="seed"):
        sampler.generate(z, eta=1.0)


def test_ddim_inversion_then_sampling_returns_the_image():
    sampler = exact_sampler(steps=100)
    sampler.pixel_mean.assign([0.1])
    sampler.pixel_std.assign([0.3])  # images in [-1, 1] with this mean and std enter as MU-ish unit data
    rng = np.random.default_rng(3)
    images = np.clip(0.1 + 0.3 * (MU + SIGMA * rng.standard_normal((4, 8, 8, 1))), -1, 1).astype("float32")
    z = sampler.invert(images)
    assert z.shape == (4, 64)
    np.testing.assert_allclose(np.asarray(sampler.generate(z)), images, atol=0.02)
    # what it finds is noise (mean 0 here), not the image (mean MU once normalised): it does not just copy it
    assert abs(float(np.mean(z))) < 0.1 and abs(float(np.mean(sampler.normalize(images))) - MU) < 0.1


def test_sdedit_keeps_more_of_the_input_at_a_lower_strength():
    sampler = exact_sampler(steps=50)
    rng = np.random.default_rng(4)
    images = np.clip(MU + 0.2 * rng.standard_normal((8, 8, 8, 1)), -1, 1).astype("float32")
    near = np.abs(np.asarray(sampler.restore(images, strength=0.2, seed=0)) - images).mean()
    far = np.abs(np.asarray(sampler.restore(images, strength=0.9, seed=0)) - images).mean()
    assert near < far
    np.testing.assert_array_equal(np.asarray(sampler.restore(images, 0.5, seed=1)),
                                  np.asarray(sampler.restore(images, 0.5, seed=1)))
    with pytest.raises(ValueError, match="strength"):
        sampler.restore(images, strength=0.0)


def test_unet_shapes_zero_start_and_config_round_trip():
    unet = UNetDenoiser(16, 3, widths=(4, 8, 8), block_depth=1, embedding_dims=4, attention=True)
    unet.build(unet.input_shapes())
    x = np.random.default_rng(0).standard_normal((2, 16, 16, 3)).astype("float32")
    v = np.full((2, 1, 1, 1), 0.5, "float32")
    np.testing.assert_array_equal(np.asarray(unet([x, v])), 0.0)  # the zero-initialised head: predicts the mean
    clone = UNetDenoiser.from_config(unet.get_config())
    clone.build(clone.input_shapes())
    assert clone.get_config() == unet.get_config() and clone.count_params() == unet.count_params()
    with pytest.raises(ValueError, match="multiple of 4"):
        UNetDenoiser(18, 3, widths=(4, 8, 8))


def test_the_noise_level_reaches_the_output():
    unet = UNetDenoiser(8, 1, widths=(4, 8), block_depth=1, embedding_dims=4)
    unet.build(unet.input_shapes())
    rng = np.random.default_rng(0)
    unet.set_weights([w + rng.uniform(-0.2, 0.2, w.shape).astype(w.dtype) for w in unet.get_weights()])
    x = rng.standard_normal((1, 8, 8, 1)).astype("float32")
    low, high = (np.asarray(unet([x, np.full((1, 1, 1, 1), v, "float32")])) for v in (0.1, 0.9))
    assert np.abs(low - high).max() > 1e-3
