"""Monotone calibration of predicted ages: fit a non-decreasing piecewise-linear map on held-out predictions
(isotonic regression), apply it inside a model with plain tensor ops (it exports to SavedModel and ONNX)."""

from __future__ import annotations

import keras
import numpy as np


def check_age_calibration(calibration) -> dict:
    """``calibration``: ``{"x": [K], "y": [K]}`` knots, K >= 2, x strictly increasing, y non-decreasing, all
    finite. Returns it with float lists; raises ValueError naming what is wrong."""
    if not isinstance(calibration, dict) or set(calibration) != {"x", "y"}:
        raise ValueError(f"an age calibration is a dict with the knots 'x' and 'y', got {calibration!r:.80}")
    x = np.asarray(calibration["x"], dtype=np.float64)
    y = np.asarray(calibration["y"], dtype=np.float64)
    if x.ndim != 1 or x.shape != y.shape or len(x) < 2:
        raise ValueError(f"an age calibration needs two 1-D knot lists of the same length >= 2, got x of shape "
                         f"{x.shape} and y of shape {y.shape}")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("an age calibration's knots must be finite")
    if not (np.diff(x) > 0).all():
        raise ValueError(f"an age calibration's x knots must be strictly increasing; x[{int(np.argmin(np.diff(x)))}:] "
                         f"does not")
    if not (np.diff(y) >= 0).all():
        raise ValueError(f"an age calibration's y knots must be non-decreasing (a monotone map); "
                         f"y[{int(np.argmin(np.diff(y)))}:] decreases")
    return {"x": x.tolist(), "y": y.tolist()}


def fit_age_calibration(predicted, observed) -> dict:
    """The isotonic (least-squares, non-decreasing) map from ``predicted`` ages [N] to ``observed`` ages [N], as
    knots ``{"x": [K], "y": [K]}``: linear between knots, constant beyond the end knots (equal to scikit-learn's
    ``IsotonicRegression(out_of_bounds="clip").predict``)."""
    from sklearn.isotonic import IsotonicRegression

    predicted = np.asarray(predicted, dtype=np.float64).reshape(-1)
    observed = np.asarray(observed, dtype=np.float64).reshape(-1)
    if predicted.shape != observed.shape or len(predicted) < 2:
        raise ValueError(f"fitting an age calibration needs matching predicted and observed ages (>= 2), got "
                         f"{predicted.shape} and {observed.shape}")
    if not (np.isfinite(predicted).all() and np.isfinite(observed).all()):
        raise ValueError("fitting an age calibration needs finite ages; some predicted or observed ages are NaN/inf")
    if np.ptp(predicted) == 0:
        raise ValueError("fitting an age calibration needs predictions that vary; all are equal")
    iso = IsotonicRegression(out_of_bounds="clip").fit(predicted, observed)
    return check_age_calibration({"x": iso.X_thresholds_, "y": iso.y_thresholds_})


def apply_age_calibration(ages, calibration):
    """``ages`` [B] (tensor) -> calibrated ages [B]: ``y0 + sum_k slope_k * (clip(age, x_k, x_k+1) - x_k)``, the
    piecewise-linear interpolation of the knots, constant beyond them. Tensor ops only (traces, exports)."""
    x = np.asarray(calibration["x"], dtype=np.float32)
    y = np.asarray(calibration["y"], dtype=np.float32)
    slopes = (np.diff(y) / np.diff(x)).astype(np.float32)
    ages = keras.ops.cast(ages, "float32")
    segment = keras.ops.minimum(keras.ops.maximum(ages[:, None], x[None, :-1]), x[None, 1:]) - x[None, :-1]
    return y[0] + keras.ops.sum(segment * slopes[None, :], axis=1)


def cross_fitted_age_mae(predicted, observed, folds: int = 5, repeats: int = 5, seed: int = 0) -> float:
    """Out-of-sample estimate of the calibrated MAE on the data the map is fit to: the mean absolute error of
    maps fit on ``folds - 1`` folds and applied to the held-out fold, averaged over ``repeats`` shuffles."""
    predicted = np.asarray(predicted, dtype=np.float64).reshape(-1)
    observed = np.asarray(observed, dtype=np.float64).reshape(-1)
    if len(predicted) < 2 * folds:
        raise ValueError(f"cross-fitting on {folds} folds needs at least {2 * folds} ages, got {len(predicted)}")
    total = 0.0
    for r in range(repeats):
        order = np.random.default_rng(seed + r).permutation(len(predicted))
        for held in np.array_split(order, folds):
            fit_on = np.setdiff1d(order, held)
            cal = fit_age_calibration(predicted[fit_on], observed[fit_on])
            total += np.abs(np.interp(predicted[held], cal["x"], cal["y"]) - observed[held]).sum()
    return float(total / (repeats * len(predicted)))
