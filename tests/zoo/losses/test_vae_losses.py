import math

import numpy as np
import pytest

from zoo.losses.perceptual import VGG19FeatureLoss
from zoo.losses.vae import kl_divergence, reconstruction_loss, summed_squared_error


def test_kl_of_a_standard_normal_posterior_is_zero():
    assert np.allclose(np.asarray(kl_divergence(np.zeros((3, 5)), np.zeros((3, 5)))), 0.0)


def test_kl_hand_computed():
    # mean (1, 0), variance (1, 2): 0.5 * [(1 + 1 - 1 - 0) + (2 + 0 - 1 - ln 2)] = 1 - 0.5 ln 2
    kl = np.asarray(kl_divergence(np.array([[1.0, 0.0]]), np.array([[0.0, math.log(2.0)]])))
    np.testing.assert_allclose(kl, [1.0 - 0.5 * math.log(2.0)], rtol=1e-6)


def test_summed_squared_error_and_unit_range_reconstruction():
    a = np.array([[[[1.0]], [[-1.0]]], [[[0.0]], [[0.0]]]], np.float32)  # [2, 2, 1, 1]
    b = np.array([[[[0.0]], [[1.0]]], [[[0.0]], [[0.5]]]], np.float32)
    np.testing.assert_allclose(np.asarray(summed_squared_error(a, b)), [1.0 + 4.0, 0.25])
    # on [0, 1] pixels: differences halve, squares quarter
    np.testing.assert_allclose(np.asarray(reconstruction_loss(a, b)), [(1.0 + 4.0) / 4, 0.25 / 4])


def test_feature_loss_without_local_weights_fails_clearly(tmp_path):
    with pytest.raises(FileNotFoundError, match="not downloaded"):
        VGG19FeatureLoss(None)
    missing = str(tmp_path / "vgg19.h5")
    with pytest.raises(FileNotFoundError, match="vgg19.h5"):
        VGG19FeatureLoss(missing)


def test_feature_perceptual_loss_normalises_each_layer_by_two_c_h_w():
    from zoo.losses.perceptual import feature_perceptual_loss

    # Two examples; layer 1 is [B, 1, 2, 1] (C H W = 2), layer 2 is [B, 1, 1, 2] (C H W = 2).
    a1 = np.array([[1.0, 2.0], [0.0, 0.0]], "float32").reshape(2, 1, 2, 1)
    b1 = np.zeros((2, 1, 2, 1), "float32")
    a2 = np.array([[3.0, 0.0], [2.0, 2.0]], "float32").reshape(2, 1, 1, 2)
    b2 = np.array([[1.0, 0.0], [0.0, 0.0]], "float32").reshape(2, 1, 1, 2)
    out = np.asarray(feature_perceptual_loss([a1, a2], [b1, b2]))
    # example 0: (1 + 4) / 4 + (4 + 0) / 4 = 2.25; example 1: 0 / 4 + (4 + 4) / 4 = 2.0
    np.testing.assert_allclose(out, [2.25, 2.0], rtol=1e-6)
