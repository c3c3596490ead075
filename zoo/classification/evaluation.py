"""A classifier's predictions over a dataset, their metrics, the headline figures and the model-selection score."""

from __future__ import annotations


def predict_dataset(classifier, ds, keep_images: int = 0):
    """Run ``classifier`` over a finite dataset of ``(images, labels)``: returns ``(outputs, labels, images)``
    as numpy ({task: [N, ...]}, {task: [N]}, the first ``keep_images`` images)."""
    import numpy as np
    import tensorflow as tf

    forward = tf.function(lambda x: classifier(x, training=False))
    outs, labs, kept = {}, {}, []
    for images, labels in ds:
        for k, v in forward(images).items():
            outs.setdefault(k, []).append(np.asarray(v))
        for k, v in labels.items():
            labs.setdefault(k, []).append(np.asarray(v))
        if sum(len(k) for k in kept) < keep_images:
            kept.append(np.asarray(images))
    cat = lambda d: {k: np.concatenate(v) for k, v in d.items()}  # noqa: E731
    imgs = np.concatenate(kept)[:keep_images] if kept else None
    return cat(outs), cat(labs), imgs


def evaluate(outputs, labels) -> dict:
    """Test metrics of the heads present in ``outputs``: classification reports and the age errors."""
    from zoo.data.utkface import GENDERS, RACES
    from zoo.metrics.classification import (accuracy_by_bucket, age_error_by_bucket, classification_report,
                                            regression_report)

    out = {}
    if "gender" in outputs:
        out["gender"] = classification_report(labels["gender"], outputs["gender"], GENDERS)
        out["gender"]["by_age"] = accuracy_by_bucket(labels["gender"], outputs["gender"], labels["age"])
    if "ethnicity" in outputs:
        out["ethnicity"] = classification_report(labels["ethnicity"], outputs["ethnicity"], RACES)
    if "age" in outputs:
        out["age"] = regression_report(labels["age"], outputs["age"])
        out["age"]["by_age"] = age_error_by_bucket(labels["age"], outputs["age"])
    return out


def score(metrics: dict, age_scale: float) -> float:
    """Model-selection score on validation metrics: sum of accuracies minus age MAE / age_scale (higher is
    better)."""
    s = sum(metrics[t]["accuracy"] for t in ("gender", "ethnicity") if t in metrics)
    if "age" in metrics:
        s -= metrics["age"]["mae"] / age_scale
    return float(s)


def headline(metrics: dict) -> dict:
    """The figures a table shows of ``evaluate``'s metrics: accuracy and macro F1 per class head, age MAE and RMSE."""
    out = {}
    for t in ("gender", "ethnicity"):
        if t in metrics:
            out[f"{t}_accuracy"] = round(metrics[t]["accuracy"], 4)
            out[f"{t}_macro_f1"] = round(metrics[t]["macro_f1"], 4)
    if "age" in metrics:
        out["age_mae"] = round(metrics["age"]["mae"], 3)
        out["age_rmse"] = round(metrics["age"]["rmse"], 3)
    return out
