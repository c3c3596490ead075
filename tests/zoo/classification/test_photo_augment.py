"""The classifiers' photo augmentation: the geometry goes where it says, strength 0 is the identity, batches are
reproducible from (seed, index), and the recipe's flag reaches the training batches."""

import math

import numpy as np
import pytest
import tensorflow as tf

from zoo.classification.photo_augment import affine_rows, describe, photo_augment, warp

S = 33  # odd: the centre is a pixel


def _dot(row, col, side=S):
    im = np.zeros((1, side, side, 1), np.float32)
    im[0, row, col, 0] = 1.0
    return tf.constant(im)


def _peak(images):
    a = np.asarray(images)[0, :, :, 0]
    return np.unravel_index(np.argmax(a), a.shape)


def _move(row, col, angle=0.0, scale=1.0, dx=0.0, dy=0.0):
    rows = affine_rows(tf.constant([angle]), tf.constant([scale]), tf.constant([dx]), tf.constant([dy]), S)
    return _peak(warp(_dot(row, col), rows))


def test_shift_moves_content_right_and_down():
    assert _move(16, 16, dx=5.0) == (16, 21)
    assert _move(16, 16, dy=-4.0) == (12, 16)


def test_scale_zooms_about_the_centre():
    c = (S - 1) // 2
    assert _move(c, c + 6, scale=2.0) == (c, c + 12)
    assert _move(c - 6, c, scale=1.5) == (c - 9, c)


def test_rotation_is_counter_clockwise_on_screen():
    c = (S - 1) // 2
    assert _move(c, c + 10, angle=math.pi / 2) == (c - 10, c)  # right of centre -> above it


def test_strength_zero_is_the_identity_and_batches_are_reproducible():
    x = tf.random.stateless_uniform((4, 24, 24, 3), seed=[1, 2], minval=-1.0, maxval=1.0)
    assert photo_augment(x, 0.0, 7, 3) is x
    a, b = photo_augment(x, 1.0, 7, 3), photo_augment(x, 1.0, 7, 3)
    np.testing.assert_array_equal(a, b)
    c = photo_augment(x, 1.0, 7, 4)
    assert float(tf.reduce_mean(tf.abs(a - c))) > 0.01  # another batch index draws other parameters
    assert float(tf.reduce_max(tf.abs(a))) <= 1.0


def test_the_change_grows_with_strength():
    x = tf.random.stateless_uniform((16, 24, 24, 1), seed=[3, 4], minval=-1.0, maxval=1.0)
    x = tf.nn.avg_pool2d(x, 3, 1, "SAME")  # smooth: a small warp makes a small change
    change = [float(tf.reduce_mean(tf.abs(photo_augment(x, s, 0, 0) - x))) for s in (0.25, 1.0, 2.0)]
    assert change[0] < change[1] < change[2]


def test_describe_names_the_ranges_at_a_strength():
    assert "rotation up to 10 degrees" in describe(1.0) and "rotation up to 5 degrees" in describe(0.5)


@pytest.mark.parametrize("strength", [0.0, 1.0])
def test_the_recipe_flag_reaches_the_training_batches(strength):
    from recipes.utkface_classifiers import Config
    from zoo.classification.dataset import make_labelled_dataset
    from zoo.data import load_source

    source = load_source("synthetic", None, image_size=24, num_synthetic=32, seed=0)
    plain = Config(data="synthetic", image_size=24, batch_size=8, flip=False)
    cfg = Config(data="synthetic", image_size=24, batch_size=8, flip=False, photo_augment=strength)
    first = lambda c: next(iter(make_labelled_dataset(source, c, training=True)))[0]  # noqa: E731
    diff = float(tf.reduce_mean(tf.abs(first(cfg) - first(plain))))
    assert (diff > 0.01) == (strength > 0)
