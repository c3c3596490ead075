import numpy as np
import pytest
from scipy import ndimage

from zoo.metrics.sharpness import laplacian_variance


def test_matches_scipy_laplace_on_the_grey_image():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (3, 13, 17, 3), dtype=np.uint8)
    got = laplacian_variance(images).numpy()
    grey = images.astype(np.float64) @ np.array([0.2989, 0.587, 0.114])
    want = [ndimage.laplace(g, mode="mirror").var() for g in grey]
    np.testing.assert_allclose(got, want, rtol=1e-4)


def test_blur_lowers_it_and_flat_images_score_zero():
    rng = np.random.default_rng(1)
    sharp = rng.integers(0, 256, (1, 32, 32, 1), dtype=np.uint8)
    blurred = ndimage.uniform_filter(sharp.astype(np.float32), size=(1, 3, 3, 1))
    assert laplacian_variance(blurred).numpy()[0] < laplacian_variance(sharp).numpy()[0] / 4
    assert laplacian_variance(np.full((1, 8, 8, 3), 77, np.uint8)).numpy()[0] == pytest.approx(0.0)
