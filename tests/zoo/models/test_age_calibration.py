import numpy as np
import pytest

from zoo.models.face_classifier import (FaceClassifier, FaceClassifierEnsemble, apply_age_calibration,
                                        cross_fitted_age_mae, fit_age_calibration)
from zoo.models.face_classifier.age_calibration import check_age_calibration
from zoo.registry import from_preset, save_to_preset

TINY = dict(image_size=16, channels=1, filters=(4, 8), dense_units=8)


def test_calibration_interpolates_its_knots_and_is_constant_beyond_them():
    cal = {"x": [0.0, 10.0, 20.0], "y": [0.0, 5.0, 25.0]}
    ages = np.array([-5, 0, 5, 10, 15, 20, 30], "float32")
    np.testing.assert_allclose(apply_age_calibration(ages, cal), [0, 0, 2.5, 5, 15, 25, 25], atol=1e-5)


def test_fit_equals_scikit_learn_isotonic_regression_and_is_monotone():
    from sklearn.isotonic import IsotonicRegression

    rng = np.random.default_rng(0)
    true = rng.uniform(1, 90, 400)
    pred = 0.6 * true + 10 + rng.normal(0, 6, 400)  # squeezed towards the mean, as regressors are
    cal = fit_age_calibration(pred, true)
    assert np.all(np.diff(cal["x"]) > 0) and np.all(np.diff(cal["y"]) >= 0)
    new = np.concatenate([[pred.min() - 20, pred.max() + 20], rng.uniform(pred.min(), pred.max(), 200)])
    ref = IsotonicRegression(out_of_bounds="clip").fit(pred, true).predict(new)
    np.testing.assert_allclose(apply_age_calibration(new.astype("float32"), cal), ref, rtol=1e-4, atol=1e-3)
    grid = np.linspace(pred.min() - 5, pred.max() + 5, 500).astype("float32")
    assert np.all(np.diff(np.asarray(apply_age_calibration(grid, cal))) >= -1e-4)
    # it undoes the squeeze: in-sample MAE falls well below the raw predictions'
    assert np.abs(np.interp(pred, cal["x"], cal["y"]) - true).mean() < 0.8 * np.abs(pred - true).mean()


def test_cross_fitted_mae_is_out_of_sample():
    rng = np.random.default_rng(0)
    true, noise = rng.uniform(1, 90, 40), rng.uniform(1, 90, 40)  # predictions that know nothing: a map memorises
    cal = fit_age_calibration(noise, true)
    in_sample = np.abs(np.interp(noise, cal["x"], cal["y"]) - true).mean()
    assert cross_fitted_age_mae(noise, true) > in_sample + 2
    true = rng.uniform(1, 90, 300)
    squeezed = 0.5 * true + 20 + rng.normal(0, 2, 300)  # a real, learnable distortion: the gain holds out of sample
    assert cross_fitted_age_mae(squeezed, true) < 0.5 * np.abs(squeezed - true).mean()


@pytest.mark.parametrize("bad, match", [
    ({"x": [0, 1]}, "knots 'x' and 'y'"),
    ({"x": [0, 1, 2], "y": [0, 1]}, "same length"),
    ({"x": [0, 2, 1], "y": [0, 1, 2]}, "strictly increasing"),
    ({"x": [0, 1, 2], "y": [0, 2, 1]}, "non-decreasing"),
    ({"x": [0, np.nan], "y": [0, 1]}, "finite"),
])
def test_bad_calibrations_are_clear_errors(bad, match):
    with pytest.raises(ValueError, match=match):
        check_age_calibration(bad)
    with pytest.raises(ValueError, match="vary"):
        fit_age_calibration([3.0, 3.0, 3.0], [1.0, 2.0, 3.0])


def test_calibrated_ensemble_maps_the_mean_age_and_round_trips(tmp_path):
    a = FaceClassifier(("ethnicity", "age"), **TINY)
    b = FaceClassifier(("ethnicity", "age"), **dict(TINY, filters=(8, 8)))
    x = np.random.default_rng(0).uniform(-1, 1, (6, 16, 16, 1)).astype("float32")
    plain = FaceClassifierEnsemble([a, b])(x)
    mean = np.asarray(plain["age"])
    cal = {"x": [float(mean.min()), float(np.median(mean)), float(mean.max())], "y": [5.0, 40.0, 41.0]}
    ens = FaceClassifierEnsemble([a, b], age_calibration=cal)
    out = ens(x)
    np.testing.assert_allclose(out["age"], np.interp(mean, cal["x"], cal["y"]), rtol=1e-5, atol=1e-4)
    np.testing.assert_array_equal(out["ethnicity"], plain["ethnicity"])
    save_to_preset(ens, str(tmp_path / "ens"), {"licence": "test"})
    loaded = from_preset(str(tmp_path / "ens"))
    assert loaded.age_calibration == check_age_calibration(cal)
    np.testing.assert_array_equal(loaded(x)["age"], out["age"])
    assert ens.with_tasks("age").age_calibration == ens.age_calibration
    assert ens.with_tasks(["ethnicity"]).age_calibration is None
    with pytest.raises(ValueError, match="needs an age head"):
        FaceClassifierEnsemble([a.with_tasks(["ethnicity"]), b.with_tasks(["ethnicity"])], age_calibration=cal)
