import numpy as np
import pytest

from zoo.metrics.inception_score import as_probabilities, inception_score


def test_uniform_predictions_score_one():
    mean, std = inception_score(np.full((100, 7), 1 / 7))
    assert mean == pytest.approx(1.0) and std == pytest.approx(0.0)


@pytest.mark.parametrize("k", [2, 5, 10])
def test_k_equiprobable_one_hot_classes_score_k(k):
    p = np.tile(np.eye(k), (10 * 3, 1))  # every split holds each class 3 times
    mean, std = inception_score(p, splits=10)
    assert mean == pytest.approx(k) and std == pytest.approx(0.0, abs=1e-12)


def test_bad_input_is_rejected_and_logits_are_softmaxed():
    with pytest.raises(ValueError, match="split"):
        inception_score(np.full((5, 2), 0.5), splits=10)
    with pytest.raises(ValueError, match="softmax"):
        inception_score(np.array([[2.0, -1.0]] * 10))
    p = as_probabilities(np.array([[0.0, np.log(3.0)]]))
    np.testing.assert_allclose(p, [[0.25, 0.75]])
