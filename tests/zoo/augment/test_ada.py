"""ADA: the p controller (r_t = E[sign(D(real))] against the target, every 4 discriminator updates, steps of
images / (kimg * 1000), p in [0, 1]) and the pipeline (identity at p = 0, differentiable)."""

import numpy as np
import pytest
import tensorflow as tf

from zoo.augment.ada import ADA


def _observe(ada, value, times, batch=4):
    for _ in range(times):
        ada.observe(tf.fill((batch, 1), float(value)))


def test_p_rises_when_the_discriminator_calls_the_reals_real():
    ada = ADA(target=0.6, kimg=0.1)  # 4 updates x 4 images = 16 images: p moves by 16 / 100
    _observe(ada, 3.0, 3)
    assert float(ada.p) == 0.0  # no adjustment before the 4th update
    _observe(ada, 3.0, 1)
    assert float(ada.r_t) == 1.0 and float(ada.p) == pytest.approx(0.16)
    _observe(ada, 3.0, 4)
    assert float(ada.p) == pytest.approx(0.32)
    _observe(ada, 3.0, 4 * 10)
    assert float(ada.p) == 1.0  # clamped


def test_p_falls_when_the_discriminator_calls_the_reals_fake():
    ada = ADA(target=0.6, kimg=0.1, initial_p=0.5)
    _observe(ada, -1.0, 4)
    assert float(ada.r_t) == -1.0 and float(ada.p) == pytest.approx(0.34)
    _observe(ada, -1.0, 4 * 5)
    assert float(ada.p) == 0.0  # clamped


def test_r_t_is_the_mean_sign_over_the_interval():
    ada = ADA(target=0.6, kimg=0.1, initial_p=0.5)
    for logits in ([1.0, 1.0, -2.0, 0.5], [1.0] * 4, [-0.1] * 4, [3.0, 3.0, 3.0, -3.0]):
        ada.observe(tf.constant(logits)[:, None])
    assert float(ada.r_t) == pytest.approx((2 + 4 - 4 + 2) / 16)  # 0.25 < 0.6: p falls
    assert float(ada.p) == pytest.approx(0.5 - 0.16)
    assert float(ada.sign_count) == 0.0 and float(ada.sign_sum) == 0.0  # the next interval starts afresh


def _images(n=8, size=8, channels=3):
    return tf.constant(np.random.default_rng(0).uniform(-1, 1, (n, size, size, channels)).astype("float32"))


@pytest.mark.parametrize("channels", [3, 1])
def test_p_zero_leaves_the_images_and_p_one_changes_every_one(channels):
    ada = ADA(seed=5)
    x = _images(channels=channels)
    if channels == 3:
        np.testing.assert_array_equal(np.asarray(ada.augment(x)), np.asarray(x))
    ada.p.assign(1.0)
    out = np.asarray(ada.augment(x))
    assert out.shape == x.shape and np.isfinite(out).all()
    assert all(not np.allclose(o, i) for o, i in zip(out, np.asarray(x)))


def test_the_pipeline_is_differentiable():
    ada = ADA(seed=1, initial_p=1.0)
    x = tf.Variable(_images())
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(tf.square(ada.augment(x)))
    grad = tape.gradient(total, x)
    assert grad is not None and np.isfinite(np.asarray(grad)).all() and np.abs(np.asarray(grad)).max() > 0


def test_pixel_blitting_only_moves_pixels_of_the_same_image():
    ada = ADA(seed=2, initial_p=1.0, ops=("xflip", "rotate90", "xint"))
    x = tf.reshape(tf.range(16 * 64 * 3, dtype=tf.float32), (16, 8, 8, 3))  # every value distinct
    out = np.asarray(ada.augment(x))
    for o, i in zip(out, np.asarray(x)):
        pixels = {tuple(p) for p in i.reshape(-1, 3)}
        assert all(tuple(p) in pixels for p in o.reshape(-1, 3))  # whole RGB pixels of its own image
    assert sum(not np.array_equal(o, i) for o, i in zip(out, np.asarray(x))) >= 12  # 1 - (1/2 * 1/4) of 16
    assert ADA(ops=("xflip",)).ops == ("xflip",)
    with pytest.raises(ValueError, match="unknown ADA op 'scale'"):
        ADA(ops=("scale",))


def test_hue_and_saturation_keep_each_pixels_luma():
    ada = ADA(seed=3, initial_p=1.0, ops=("hue", "saturation"))
    x = _images(n=16)
    out = np.asarray(ada.augment(x))
    np.testing.assert_allclose(out.mean(-1), np.asarray(x).mean(-1), atol=1e-5)
    assert not np.allclose(out, np.asarray(x))


def test_brightness_and_contrast_act_alike_on_every_channel():
    ada = ADA(seed=4, initial_p=1.0, ops=("brightness", "contrast"))
    x = _images(n=16)
    out, inp = np.asarray(ada.augment(x)), np.asarray(x)
    for o, i in zip(out, inp):  # o = c * i + b, one (c, b) per image
        c, b = np.polyfit(i.ravel(), o.ravel(), 1)
        np.testing.assert_allclose(o, c * i + b, atol=1e-5)
