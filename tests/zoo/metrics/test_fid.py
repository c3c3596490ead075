import numpy as np
import pytest

from zoo.metrics.fid import (FeatureStatistics, cached_statistics, frechet_distance, load_statistics,
                             save_statistics)


def _numpy_frechet(x, y):
    """Independent implementation: Tr((S1 S2)^1/2) from the eigenvalues of S1^1/2 S2 S1^1/2 (symmetric, eigh)."""
    m1, m2 = x.mean(0), y.mean(0)
    s1, s2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    w, v = np.linalg.eigh(s1)
    root1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    inner = np.linalg.eigvalsh(root1 @ s2 @ root1)
    return float(((m1 - m2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.sqrt(np.clip(inner, 0, None)).sum())


def test_closed_form_for_diagonal_gaussians():
    mu1, mu2 = np.array([0.0, 1.0, -2.0]), np.array([1.0, 1.0, 0.5])
    v1, v2 = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(v1) - np.sqrt(v2)) ** 2)  # = 7.25 + 4 + 1 = 12.25
    assert expected == pytest.approx(12.25)
    assert frechet_distance(mu1, np.diag(v1), mu2, np.diag(v2)) == pytest.approx(expected, rel=1e-10)
    assert frechet_distance(mu1, np.diag(v1), mu1, np.diag(v1)) == pytest.approx(0.0, abs=1e-10)


def test_agrees_with_independent_numpy_implementation():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((300, 12)) @ rng.standard_normal((12, 12))
    y = rng.standard_normal((250, 12)) * 1.5 + 0.3
    got = frechet_distance(x.mean(0), np.cov(x, rowvar=False), y.mean(0), np.cov(y, rowvar=False))
    assert got == pytest.approx(_numpy_frechet(x, y), rel=1e-8)


def test_singular_covariances_get_the_offset_and_stay_finite():
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((5, 16)), rng.standard_normal((5, 16)) + 1  # rank 4 < 16
    d = frechet_distance(x.mean(0), np.cov(x, rowvar=False), y.mean(0), np.cov(y, rowvar=False))
    assert np.isfinite(d) and d > 0


def test_mismatched_shapes_are_an_error():
    with pytest.raises(ValueError, match="mismatched"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))


def test_streaming_statistics_equal_one_shot():
    rng = np.random.default_rng(2)
    x = (rng.standard_normal((1000, 8)) * 50 + 1e4).astype(np.float32)  # large offset: catches naive sums
    stats = FeatureStatistics()
    for chunk in np.split(x, [1, 7, 300, 301, 999]):  # uneven batches, one of size 1
        stats.update(chunk)
    assert stats.count == 1000
    np.testing.assert_allclose(stats.mean, x.astype(np.float64).mean(0), rtol=1e-12)
    np.testing.assert_allclose(stats.covariance, np.cov(x.astype(np.float64), rowvar=False), rtol=1e-9)


def test_cache_is_reused_for_the_same_protocol_only(tmp_path):
    rng = np.random.default_rng(3)
    feats = rng.standard_normal((20, 4))
    path = str(tmp_path / "ref.npz")
    calls = []

    def compute():
        calls.append(1)
        return FeatureStatistics().update(feats), feats

    proto = {"extractor": "a", "resize": "bilinear", "resolution": 64, "dataset": "utkface", "count": 20}
    s1, _, reused1 = cached_statistics(path, proto, compute, need_features=True)
    s2, f2, reused2 = cached_statistics(path, dict(proto), compute, need_features=True)
    assert (reused1, reused2, len(calls)) == (False, True, 1)
    np.testing.assert_allclose(s2.covariance, s1.covariance)
    np.testing.assert_allclose(f2, feats.astype(np.float32))
    for changed in ({"resize": "nearest"}, {"resolution": 32}, {"extractor": "b"}, {"count": 19}):
        assert load_statistics(path, {**proto, **changed}) is None
        _, _, reused = cached_statistics(path, {**proto, **changed}, compute)
        assert not reused
    assert len(calls) == 5


def test_cache_without_features_is_not_used_for_kid(tmp_path):
    path = str(tmp_path / "ref.npz")
    save_statistics(path, FeatureStatistics().update(np.eye(3)), {"extractor": "a"})
    assert load_statistics(path, {"extractor": "a"}) is not None
    assert load_statistics(path, {"extractor": "a"}, need_features=True) is None


def test_fid_grows_monotonically_with_noise():
    import keras

    from zoo.metrics.features import keras_extractor
    from zoo.metrics.fid import statistics_distance
    from zoo.metrics.measure import measure_images

    keras.utils.set_random_seed(0)
    net = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Conv2D(8, 3, strides=2, activation="relu"),
                            keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(8, activation="tanh"),
                            keras.layers.Dense(2)], name="net")
    extractor = keras_extractor(net)
    rng = np.random.default_rng(0)
    coarse = rng.uniform(0, 255, (256, 4, 4, 3))
    real = np.kron(coarse, np.ones((1, 4, 4, 1)))
    reference = measure_images(np.split(real.astype(np.uint8), 4), extractor, progress=False).statistics
    fake = real[::-1]  # the same images in another order: distance ~ 0 before any noise
    distances = []
    for sigma in (0, 10, 20, 40, 80):
        noisy = np.clip(fake + rng.normal(0, sigma, fake.shape), 0, 255).astype(np.uint8)
        stats = measure_images(np.split(noisy, 4), extractor, progress=False).statistics
        distances.append(statistics_distance(reference, stats))
    assert distances[0] < 1e-6
    assert all(a < b for a, b in zip(distances, distances[1:])), distances
