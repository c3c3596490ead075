import math

import keras
import numpy as np
import pytest

from zoo.layers import (AdaIN, EqualizedConv2D, EqualizedDense, MinibatchStddev, NoiseInput, PixelNorm, blur2d,
                        box_blur2x, downsample2x, upsample2x)


def test_equalized_dense_applies_the_he_constant_at_run_time():
    layer = EqualizedDense(3, gain=math.sqrt(2.0))
    layer.build((None, 8))
    k = np.arange(24, dtype="float32").reshape(8, 3) / 10
    layer.kernel.assign(k)
    x = np.ones((2, 8), "float32")
    he = math.sqrt(2.0) / math.sqrt(8)
    np.testing.assert_allclose(layer(x), x @ k * he, rtol=1e-5)
    layer.kernel.assign(2 * k)  # the stored weight is the unscaled one: the constant is not baked in
    np.testing.assert_allclose(layer(x), x @ (2 * k) * he, rtol=1e-5)


def test_equalized_dense_lr_multiplier_scales_init_and_output():
    layer = EqualizedDense(256, lr_multiplier=0.01, bias_init=1.0)
    layer.build((None, 512))
    assert abs(float(np.std(layer.kernel.numpy())) - 100.0) < 2.0  # N(0, 1 / lr_mul)
    np.testing.assert_allclose(layer.bias.numpy(), 100.0)  # stored / lr_mul, used * lr_mul
    assert layer.scale == pytest.approx(math.sqrt(2.0) / math.sqrt(512) * 0.01)


def test_equalized_conv_scales_by_kernel_fan_in():
    layer = EqualizedConv2D(1, 3, gain=1.0, use_bias=False)
    layer.build((None, 5, 5, 2))
    layer.kernel.assign(np.ones((3, 3, 2, 1), "float32"))
    y = np.asarray(layer(np.ones((1, 5, 5, 2), "float32")))
    # centre pixel: 18 ones times 1 / sqrt(3 * 3 * 2)
    assert y[0, 2, 2, 0] == pytest.approx(18 / math.sqrt(18), rel=1e-5)


def test_pixel_norm_gives_unit_rms_features():
    x = np.array([[3.0, 4.0], [0.0, 2.0]], "float32")
    np.testing.assert_allclose(PixelNorm()(x), x / np.sqrt((x**2).mean(-1, keepdims=True)), rtol=1e-5)


def test_minibatch_stddev_on_a_known_batch():
    # Group of 2: per feature std of (a, b) is |a - b| / 2.
    x = np.zeros((4, 1, 1, 2), "float32")
    x[0, 0, 0] = [0.0, 0.0]
    x[1, 0, 0] = [2.0, 4.0]   # group 1: stds 1 and 2 -> mean 1.5
    x[2, 0, 0] = [1.0, 1.0]
    x[3, 0, 0] = [1.0, 1.0]   # group 2: identical -> 0 (sqrt(eps))
    y = np.asarray(MinibatchStddev(group_size=2)(x))
    assert y.shape == (4, 1, 1, 3)
    np.testing.assert_allclose(y[..., :2], x)
    np.testing.assert_allclose(y[:, 0, 0, 2], [1.5, 1.5, 1e-4, 1e-4], atol=1e-6)


def test_adain_normalises_then_applies_the_style():
    layer = AdaIN()
    layer.build(((None, 2, 2, 1), (None, 3)))
    layer.style.kernel.assign(np.zeros((3, 2), "float32"))
    layer.style.bias.assign(np.array([1.0, 5.0], "float32"))  # y_s = 1 -> scale 2, y_b = 5
    x = np.array([1.0, 2.0, 3.0, 4.0], "float32").reshape(1, 2, 2, 1)
    y = np.asarray(layer([x, np.zeros((1, 3), "float32")])).ravel()
    norm = (x.ravel() - 2.5) / np.sqrt(1.25 + 1e-8)
    np.testing.assert_allclose(y, 2 * norm + 5, rtol=1e-5)


def test_adain_of_a_nearly_flat_map_is_the_exact_normalisation_not_rounding_noise():
    # Issue 14 item 10: StyleGAN's constant is flat at init and nearly flat in a young run; x - mean(x) then
    # cancelled catastrophically and the noise, divided by sqrt(var + 1e-8), broke export parity (5e-3).
    layer = AdaIN()
    layer.build(((None, 4, 4, 3), (None, 2)))
    layer.style.kernel.assign(np.zeros((2, 6), "float32"))
    rng = np.random.default_rng(0)
    x = np.empty((2, 4, 4, 3), "float32")
    x[..., 0] = 1.1 + 1e-5 * rng.standard_normal((2, 4, 4))   # a young constant: spread 1e-5 around 1.1
    x[..., 1] = 0.7 + 3e-6 * rng.standard_normal((2, 4, 4))
    x[..., 2] = 1.3                                             # a flat map: must normalise to exactly 0
    y = np.asarray(layer([x, np.zeros((2, 2), "float32")]))
    x64 = x.astype(np.float64)
    centred = x64 - x64.mean(axis=(1, 2), keepdims=True)
    exact = centred / np.sqrt((centred ** 2).mean(axis=(1, 2), keepdims=True) + 1e-8)
    np.testing.assert_allclose(y, exact, atol=1e-5)
    assert np.all(y[..., 2] == 0)


def test_noise_input_starts_at_zero_weight_and_can_be_switched_off():
    layer = NoiseInput(seed=1)
    x = np.ones((2, 4, 4, 3), "float32")
    np.testing.assert_allclose(layer(x), x)  # weight 0 at init
    layer.weight.assign([1.0, 0.0, 2.0])
    y = np.asarray(layer(x))
    assert np.std(y[..., 0]) > 0 and np.allclose(y[..., 1], 1) and np.allclose(y[..., 2] - 1, 2 * (y[..., 0] - 1), atol=1e-5)
    np.testing.assert_allclose(layer(x, noise=np.zeros((2, 4, 4, 1), "float32")), x)  # explicit zeros: no noise


def test_fixed_noise_is_a_stored_buffer_shared_by_the_batch_and_saved_with_the_weights():
    # Deterministic mode reads the layer's stored noise image (NVlabs' noise_inputs), not "no noise".
    layer = NoiseInput(seed=1)
    x = np.zeros((2, 4, 4, 2), "float32")
    layer(x)
    layer.weight.assign([1.0, 3.0])
    y = np.asarray(layer(x, randomize=False))
    buffer = layer.noise_buffer.numpy()
    assert buffer.shape == (1, 4, 4, 1) and np.std(buffer) > 0.3 and not layer.noise_buffer.trainable
    np.testing.assert_allclose(y[0], y[1])  # the same noise image for every example
    np.testing.assert_allclose(y[..., 1], 3 * y[..., 0], rtol=1e-6)
    np.testing.assert_allclose(y[0, ..., 0], buffer[0, ..., 0])
    np.testing.assert_allclose(layer(x, randomize=False), y)  # fixed: the same at every call
    clone = NoiseInput.from_config(layer.get_config())
    clone(x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(x, randomize=False), y)


def test_blur_is_the_normalised_121_filter_and_box_fade_averages_2x2_blocks():
    x = np.zeros((1, 5, 5, 2), "float32")
    x[0, 2, 2, 0] = 16.0
    y = np.asarray(blur2d(x))
    np.testing.assert_allclose(y[0, 1:4, 1:4, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]])  # outer([1,2,1])/16 * 16
    assert y[..., 1].max() == 0 and y[0, 0].max() == 0 and y.sum() == pytest.approx(16.0)
    assert blur2d(x, ()) is x
    img = np.array([[1, 3, 0, 0], [5, 7, 0, 4], [2, 2, 8, 8], [2, 2, 8, 8]], "float32").reshape(1, 4, 4, 1)
    box = np.array([[4, 4, 1, 1], [4, 4, 1, 1], [2, 2, 8, 8], [2, 2, 8, 8]], "float32").reshape(1, 4, 4, 1)
    np.testing.assert_allclose(box_blur2x(img), box)


def test_resample_helpers_are_nearest_and_box():
    x = np.arange(4, dtype="float32").reshape(1, 2, 2, 1)
    up = np.asarray(upsample2x(x))
    assert up.shape == (1, 4, 4, 1) and up[0, :2, :2, 0].tolist() == [[0, 0], [0, 0]] and up[0, 3, 3, 0] == 3
    np.testing.assert_allclose(downsample2x(up), x)


def test_layer_configs_round_trip():
    for layer in (EqualizedDense(4, lr_multiplier=0.5), EqualizedConv2D(4, 1, gain=1.0), PixelNorm(),
                  MinibatchStddev(2), AdaIN(), NoiseInput(seed=3)):
        clone = layer.__class__.from_config(layer.get_config())
        assert clone.get_config() == layer.get_config()
        assert keras.saving.get_registered_object(f"facezoo>{layer.__class__.__name__}") is layer.__class__
