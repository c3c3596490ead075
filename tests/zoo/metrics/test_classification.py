import os

import numpy as np
import pytest
from sklearn.metrics import classification_report as sk_report

from zoo.metrics import classification_plots as plots
from zoo.metrics.classification import (accuracy_by_bucket, age_error_by_bucket, classification_report,
                                        format_classification_table, regression_report)

Y_TRUE = [0, 0, 1, 1, 1, 2]
Y_PRED = [0, 1, 1, 1, 0, 2]


def test_report_on_a_tiny_known_confusion():
    r = classification_report(Y_TRUE, Y_PRED, ["a", "b", "c"])
    assert r["accuracy"] == pytest.approx(4 / 6)
    assert r["confusion"] == [[1, 1, 0], [1, 2, 0], [0, 0, 1]]
    assert r["per_class"]["a"] == pytest.approx({"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2})
    assert r["per_class"]["b"]["precision"] == pytest.approx(2 / 3)
    assert r["per_class"]["b"]["recall"] == pytest.approx(2 / 3)
    assert r["per_class"]["c"]["f1"] == pytest.approx(1.0)
    sk = sk_report(Y_TRUE, Y_PRED, output_dict=True, zero_division=0)
    for i, name in enumerate("abc"):
        for key, sk_key in (("precision", "precision"), ("recall", "recall"), ("f1", "f1-score")):
            assert r["per_class"][name][key] == pytest.approx(sk[str(i)][sk_key])
    assert r["macro_f1"] == pytest.approx(sk["macro avg"]["f1-score"])


def test_probabilities_and_absent_classes():
    probs = np.eye(3)[Y_PRED] * 0.7 + 0.1
    assert classification_report(Y_TRUE, probs, ["a", "b", "c"]) == classification_report(Y_TRUE, Y_PRED, "abc")
    r = classification_report([0, 0], [0, 0], ["x", "y", "z"])
    assert r["confusion"] == [[2, 0, 0], [0, 0, 0], [0, 0, 0]]
    assert r["per_class"]["y"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    with pytest.raises(ValueError, match="one length"):
        classification_report([0, 1], [0], "ab")


def test_regression_report_by_hand():
    r = regression_report([10, 20], [12, 17])
    assert r["mae"] == pytest.approx(2.5)
    assert r["rmse"] == pytest.approx(np.sqrt((4 + 9) / 2))
    assert r["bias"] == pytest.approx(-0.5)


def test_accuracy_by_age_bucket():
    out = accuracy_by_bucket([0, 1, 1, 0], [0, 0, 1, 0], [5, 25, 27, 80], edges=(0, 10, 30, 200))
    assert out == [{"bucket": "0-9", "lo": 0, "hi": 10, "count": 1, "accuracy": 1.0},
                   {"bucket": "10-29", "lo": 10, "hi": 30, "count": 2, "accuracy": 0.5},
                   {"bucket": "30+", "lo": 30, "hi": 200, "count": 1, "accuracy": 1.0}]


def test_age_error_by_bucket_by_hand():
    out = age_error_by_bucket([5, 25, 27, 80], [8, 20, 28, 70], edges=(0, 10, 30, 60, 200))
    assert out == [{"bucket": "0-9", "lo": 0, "hi": 10, "count": 1, "mae": 3.0, "bias": 3.0},
                   {"bucket": "10-29", "lo": 10, "hi": 30, "count": 2, "mae": 3.0, "bias": -2.0},
                   {"bucket": "60+", "lo": 60, "hi": 200, "count": 1, "mae": 10.0, "bias": -10.0}]


def test_table_and_plots_are_written(tmp_path):
    r = classification_report(Y_TRUE, Y_PRED, ["a", "b", "c"])
    table = format_classification_table(r)
    assert "| a | 0.500 | 0.500 | 0.500 | 2 |" in table and "0.667" in table
    plots.plot_confusion(str(tmp_path / "c.png"), r["confusion"], ["a", "b", "c"])
    plots.plot_age_histograms(str(tmp_path / "h.png"), [10, 20, 30], [12, 25, 28])
    plots.plot_accuracy_by_bucket(str(tmp_path / "b.png"), accuracy_by_bucket([0, 1], [0, 0], [5, 25]))
    plots.plot_class_balance(str(tmp_path / "d.png"), [0, 1, 1], [0, 4, 2], [3, 40, 70], ["m", "f"], list("abcde"))
    plots.plot_predictions(str(tmp_path / "p.png"), np.zeros((3, 8, 8, 1), "float32"), ["x", "y", "z"])
    for f in "chbdp":
        with open(tmp_path / f"{f}.png", "rb") as fh:
            assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
