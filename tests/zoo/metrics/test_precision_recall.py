"""Improved precision/recall: what a sharp-but-narrow model and a wide-but-off model must read as."""

import numpy as np
import pytest

from zoo.metrics.precision_recall import coverage, kth_neighbour_radii, precision_recall


def test_radii_are_the_distance_to_the_kth_other_vector():
    x = np.array([[0.0], [1.0], [3.0], [6.0], [10.0]])
    # for 0: others at 1, 3, 6 -> the 3rd is 6; for 3: 2, 3, 3 -> 3; for 10: 4, 7, 9 -> 9 (squared)
    assert kth_neighbour_radii(x, k=3).tolist() == [36.0, 25.0, 9.0, 25.0, 81.0]
    assert coverage(np.array([[7.0], [20.0]]), x, kth_neighbour_radii(x, k=3)) == 0.5


def test_same_distribution_reads_high_on_both_and_a_shift_reads_zero():
    rng = np.random.default_rng(0)
    real = rng.standard_normal((600, 8))
    p, r = precision_recall(real, rng.standard_normal((600, 8)))
    assert p > 0.7 and r > 0.7
    assert precision_recall(real, rng.standard_normal((600, 8)) + 20.0) == (0.0, 0.0)


def test_mode_collapse_keeps_precision_and_loses_recall_and_blur_the_reverse():
    rng = np.random.default_rng(1)
    real = rng.standard_normal((600, 8))
    collapsed = real[:20][rng.integers(0, 20, 600)] + 0.01 * rng.standard_normal((600, 8))  # few real faces, sharp
    p, r = precision_recall(real, collapsed)
    assert p > 0.9 and r < 0.2
    wide = 3.0 * rng.standard_normal((600, 8))  # covers everything, mostly off the real manifold
    p, r = precision_recall(real, wide)
    assert p < 0.3 and r > 0.8


def test_bad_shapes_and_tiny_sets_are_refused():
    with pytest.raises(ValueError, match="one D"):
        precision_recall(np.zeros((10, 3)), np.zeros((10, 4)))
    with pytest.raises(ValueError, match="more than 3 vectors"):
        precision_recall(np.zeros((3, 2)), np.zeros((10, 2)))
