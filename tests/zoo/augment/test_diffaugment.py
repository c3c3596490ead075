"""DiffAugment: the reference's ops on hand-set parameters, one draw shared by a real and a fake batch when asked,
gradients through it, and nothing at all done with an empty policy."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.augment.diffaugment import DiffAugment, apply_params
from zoo.augment.options import parse_policy


def _images(n=4, size=8, seed=0):
    # in (0.1, 1): no pixel is 0 before a cutout
    return tf.constant(np.random.default_rng(seed).uniform(0.1, 1, (n, size, size, 3)).astype("float32"))


def test_an_empty_policy_returns_the_images_and_draws_no_random_numbers():
    aug = DiffAugment("", seed=3)
    state = np.asarray(aug.seed_generator.state)
    x = _images()
    assert aug.augment(x) is x
    real, fake = aug.augment_pair(x, 2 * x)
    assert real is x and np.array_equal(np.asarray(fake), np.asarray(2 * x))
    np.testing.assert_array_equal(np.asarray(aug.seed_generator.state), state)


def test_one_draw_transforms_a_real_and_a_fake_batch_alike():
    aug = DiffAugment("color,translation,cutout", seed=1)
    x = _images()
    a, b = aug.augment_pair(x, x)
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    # two separate calls draw two sets of parameters, as the reference does for reals and fakes
    assert not np.allclose(np.asarray(aug.augment(x)), np.asarray(aug.augment(x)))
    # different images, same shift and cutout: their zeroed pixels are the same ones
    shift_cut = DiffAugment("translation,cutout", seed=2)
    real, fake = shift_cut.augment_pair(_images(seed=1), _images(seed=2))
    zeros_real, zeros_fake = np.asarray(real) == 0, np.asarray(fake) == 0
    assert zeros_real.any()
    np.testing.assert_array_equal(zeros_real, zeros_fake)


def test_translation_moves_by_whole_pixels_and_fills_with_zero():
    x = _images(n=1)
    out = np.asarray(apply_params(x, {"shift_x": tf.constant([[1]]), "shift_y": tf.constant([[-2]])}))
    ref = np.zeros_like(np.asarray(x))
    ref[:, 2:, :-1] = np.asarray(x)[:, :-2, 1:]  # out[i, j] = x[i - 2, j + 1]
    np.testing.assert_array_equal(out, ref)


def test_cutout_zeroes_a_square_of_half_the_side():
    x = _images(n=2)
    out = np.asarray(apply_params(x, {"cutout_y": tf.constant([[4], [0]]), "cutout_x": tf.constant([[4], [7]])}))
    zero = (out == 0).all(axis=-1)
    expect = np.zeros((2, 8, 8), bool)
    expect[0, 2:6, 2:6] = True  # centred at (4, 4): rows and columns 4 - 2 .. 4 + 1
    expect[1, 0:2, 5:8] = True  # at a corner: the part of the square inside the image
    np.testing.assert_array_equal(zero, expect)
    np.testing.assert_array_equal(out[~zero], np.asarray(x)[~zero])


def test_colour_with_hand_set_factors():
    x = _images(n=1)
    ones = tf.ones((1, 1, 1, 1))
    shifted = apply_params(x, {"brightness": 0.25 * ones, "saturation": ones, "contrast": ones})
    np.testing.assert_allclose(np.asarray(shifted), np.asarray(x) + 0.25, atol=1e-6)
    grey = np.asarray(apply_params(x, {"brightness": 0 * ones, "saturation": 0 * ones, "contrast": ones}))
    np.testing.assert_allclose(grey, np.broadcast_to(np.asarray(x).mean(-1, keepdims=True), grey.shape), atol=1e-6)
    flat = np.asarray(apply_params(x, {"brightness": 0 * ones, "saturation": ones, "contrast": 0.5 * ones}))
    mean = np.asarray(x).mean()
    np.testing.assert_allclose(flat, (np.asarray(x) - mean) * 0.5 + mean, atol=1e-6)


def test_translation_stays_within_an_eighth_of_the_side():
    aug = DiffAugment("translation", seed=0)
    params = aug.draw(tf.zeros((256, 16, 16, 3)))
    shifts = np.concatenate([np.asarray(params["shift_x"]), np.asarray(params["shift_y"])]).ravel()
    assert set(shifts) == {-2, -1, 0, 1, 2}


def test_the_generator_gets_a_gradient_through_the_augmentation():
    from zoo.models.dcgan import DCGANDiscriminator, DCGANGenerator

    g = DCGANGenerator(latent_dim=8, image_size=8, base_filters=4)
    d = DCGANDiscriminator(image_size=8, base_filters=4)
    aug = DiffAugment("color,translation,cutout", seed=0)
    z = keras.random.normal((4, 8), seed=1)
    with tf.GradientTape() as tape:
        score = tf.reduce_sum(d(aug.augment(g(z, training=True)), training=True))
    grads = tape.gradient(score, g.trainable_variables)
    assert all(gr is not None for gr in grads)
    assert all(np.isfinite(np.asarray(gr)).all() for gr in grads)
    assert any(np.abs(np.asarray(gr)).max() > 0 for gr in grads)
    # and pixel by pixel: a cut-out pixel passes no gradient, a kept one passes it
    x = tf.Variable(_images(n=1))
    params = {"cutout_y": tf.constant([[4]]), "cutout_x": tf.constant([[4]])}
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(apply_params(x, params))
    grad = np.asarray(tape.gradient(total, x))
    assert (grad[0, 2:6, 2:6] == 0).all() and (grad[0, 0, 0] == 1).all()


def test_policies_are_checked():
    assert parse_policy("color, cutout") == ("color", "cutout") and parse_policy("") == ()
    with pytest.raises(ValueError, match="'flip'.*color, translation, cutout"):
        parse_policy("color,flip")
