"""Classification and age-regression reports (scikit-learn for precision / recall / F1 / confusion)."""

from __future__ import annotations

import numpy as np

AGE_BUCKETS = (0, 10, 20, 30, 40, 50, 60, 70, 200)  # [lo, hi) edges in years


def classification_report(y_true, y_pred, class_names) -> dict:
    """Accuracy, confusion matrix and per-class precision / recall / F1 / support.

    ``y_true``, ``y_pred``: [N] int class codes 0..K-1 (``y_pred`` may also be probabilities [N, K]);
    ``class_names``: K names. Every class appears in the confusion matrix [K, K] (rows: truth, columns:
    prediction), also those absent from the data; a class never predicted gets precision 0.
    """
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    y_true = np.asarray(y_true).astype(int).reshape(-1)
    y_pred = np.asarray(y_pred)
    if y_pred.ndim == 2:
        y_pred = y_pred.argmax(-1)
    y_pred = y_pred.astype(int).reshape(-1)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError(f"y_true and y_pred must be non-empty and of one length, got {y_true.shape} and "
                         f"{y_pred.shape}")
    labels = list(range(len(class_names)))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    macro = precision_recall_fscore_support(y_true, y_pred, labels=labels, average="macro", zero_division=0)
    return {
        "accuracy": float(np.mean(y_true == y_pred)),
        "confusion": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        "classes": list(class_names),
        "per_class": {name: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]),
                             "support": int(s[i])} for i, name in enumerate(class_names)},
        "macro_f1": float(macro[2]),
        "count": int(y_true.size),
    }


def regression_report(y_true, y_pred) -> dict:
    """Age errors in years: ``mae``, ``rmse`` and the mean signed error ``bias`` (prediction - truth)."""
    y_true = np.asarray(y_true, np.float64).reshape(-1)
    y_pred = np.asarray(y_pred, np.float64).reshape(-1)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError(f"y_true and y_pred must be non-empty and of one length, got {y_true.shape} and "
                         f"{y_pred.shape}")
    err = y_pred - y_true
    return {"mae": float(np.mean(np.abs(err))), "rmse": float(np.sqrt(np.mean(err ** 2))),
            "bias": float(np.mean(err)), "count": int(y_true.size)}


def _age_buckets(ages, edges):
    """``(label, lo, hi, mask)`` for each non-empty bucket ``[lo, hi)`` of ``ages``; the last one reads "lo+"."""
    ages = np.asarray(ages).reshape(-1)
    for lo, hi in zip(edges[:-1], edges[1:]):
        sel = (ages >= lo) & (ages < hi)
        if sel.any():
            yield (f"{lo}-{hi - 1}" if hi < edges[-1] else f"{lo}+"), int(lo), int(hi), sel


def accuracy_by_bucket(y_true, y_pred, ages, edges=AGE_BUCKETS) -> list[dict]:
    """Accuracy of class predictions within age buckets ``[edges[i], edges[i+1])``; empty buckets omitted.

    Returns ``[{"bucket": "20-29", "lo", "hi", "accuracy", "count"}]``.
    """
    y_true, y_pred = np.asarray(y_true).reshape(-1), np.asarray(y_pred)
    if y_pred.ndim == 2:
        y_pred = y_pred.argmax(-1)
    return [{"bucket": label, "lo": lo, "hi": hi, "count": int(sel.sum()),
             "accuracy": float(np.mean(y_true[sel] == y_pred[sel]))}
            for label, lo, hi, sel in _age_buckets(ages, edges)]


def age_error_by_bucket(y_true, y_pred, edges=AGE_BUCKETS) -> list[dict]:
    """Age errors in years within buckets of the true age ``[edges[i], edges[i+1])``; empty buckets omitted.

    Returns ``[{"bucket": "20-29", "lo", "hi", "count", "mae", "bias"}]`` (bias: mean of prediction - truth).
    """
    y_true = np.asarray(y_true, np.float64).reshape(-1)
    err = np.asarray(y_pred, np.float64).reshape(-1) - y_true
    return [{"bucket": label, "lo": lo, "hi": hi, "count": int(sel.sum()), "mae": float(np.mean(np.abs(err[sel]))),
             "bias": float(np.mean(err[sel]))} for label, lo, hi, sel in _age_buckets(y_true, edges)]


def format_classification_table(report: dict) -> str:
    """A markdown table of a ``classification_report``: one row per class, then macro F1 and accuracy."""
    lines = ["| class | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for name, m in report["per_class"].items():
        lines.append(f"| {name} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['support']} |")
    lines.append(f"| **macro F1** | | | {report['macro_f1']:.3f} | {report['count']} |")
    lines.append(f"| **accuracy** | | | {report['accuracy']:.3f} | {report['count']} |")
    return "\n".join(lines)
