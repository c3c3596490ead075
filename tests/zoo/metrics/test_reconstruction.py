import numpy as np
import pytest

from zoo.metrics.reconstruction import mse, psnr, reconstruction_metrics, ssim


def test_psnr_and_mse_of_a_constant_error():
    a = np.zeros((2, 12, 12, 3), np.float32)
    b = a + 0.2
    np.testing.assert_allclose(mse(a, b).numpy(), [0.01, 0.01], rtol=1e-5)  # 0.1 on the [0, 1] scale
    np.testing.assert_allclose(psnr(a, b).numpy(), [20.0, 20.0], rtol=1e-5)  # 10 log10(1 / 0.01)


def test_ssim_known_values():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (1, 16, 16, 1)).astype(np.float32)
    assert ssim(x, x).numpy()[0] == pytest.approx(1.0, abs=1e-6)
    # Constant images: the structure term is 1, the luminance term (2ab + C1) / (a^2 + b^2 + C1), C1 = 0.01^2,
    # with a, b on the [0, 1] scale: 0.5 -> 0.75 and -0.25 -> 0.375.
    a, b, c1 = 0.75, 0.375, 0.01 ** 2
    got = ssim(np.full((1, 16, 16, 1), 0.5, np.float32), np.full((1, 16, 16, 1), -0.25, np.float32)).numpy()[0]
    assert got == pytest.approx((2 * a * b + c1) / (a * a + b * b + c1), rel=1e-3)  # float32 variances
    assert ssim(x, -x).numpy()[0] < 0  # the negative image is anti-correlated


def test_summary_and_shape_errors():
    x = np.zeros((2, 8, 8, 3), np.float32)
    out = reconstruction_metrics(x, x + 0.2)
    assert set(out) == {"psnr", "mse"} and out["psnr"]["mean"] == pytest.approx(20.0, rel=1e-5)
    with pytest.raises(ValueError, match="11x11"):
        ssim(x, x)
    with pytest.raises(ValueError, match="one shape"):
        mse(x, x[:1])
