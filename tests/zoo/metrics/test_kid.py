import numpy as np
import pytest

from zoo.metrics.kid import kernel_distance, mmd2_unbiased


def test_mmd_matches_hand_computation():
    x = np.array([[1.0, 0.0], [0.0, 1.0]])
    y = np.array([[1.0, 1.0], [0.0, 0.0], [2.0, 0.0]])

    def k(a, b):
        return (a @ b / 2 + 1) ** 3

    kxx = sum(k(x[i], x[j]) for i in range(2) for j in range(2) if i != j) / 2
    kyy = sum(k(y[i], y[j]) for i in range(3) for j in range(3) if i != j) / 6
    kxy = sum(k(a, b) for a in x for b in y) / 6
    assert mmd2_unbiased(x, y) == pytest.approx(kxx + kyy - 2 * kxy, rel=1e-12)


def test_same_distribution_near_zero_and_different_clearly_positive():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((400, 8)), rng.standard_normal((400, 8))
    c = rng.standard_normal((400, 8)) * 1.5 + 0.5
    same, same_std = kernel_distance(a, b, num_subsets=50, subset_size=100)
    diff, diff_std = kernel_distance(a, c, num_subsets=50, subset_size=100)
    assert abs(same) < 2 * same_std
    assert diff > 4 * diff_std and diff > 20 * abs(same)


def test_subsets_are_seeded_and_sizes_checked():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((50, 3)), rng.standard_normal((60, 3))
    assert kernel_distance(a, b, 5, 20, seed=3) == kernel_distance(a, b, 5, 20, seed=3)
    with pytest.raises(ValueError, match="one dimension"):
        kernel_distance(a, rng.standard_normal((10, 4)))
