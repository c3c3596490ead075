"""An Inception Score from a zoo classifier: PRESET:HEAD names the class head (issue 27 item 2)."""

import numpy as np
import pytest

from zoo.metrics.features import ExtractorError, make_extractor


def test_a_named_head_gives_its_probabilities_beside_the_features():
    plain = make_extractor("classifier_multitask_utkface_48")
    assert not plain.has_predictions  # a dict of heads: no single class output
    ex = make_extractor("classifier_multitask_utkface_48:ethnicity")
    assert ex.has_predictions and ex.name == "classifier_multitask_utkface_48:ethnicity"
    images = np.random.default_rng(0).integers(0, 256, (4, 48, 48, 1), dtype=np.uint8)
    feats, probs = ex(images)
    assert np.array_equal(feats, plain(images)) and probs.shape == (4, 5)
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5) and (probs >= 0).all()


def test_a_head_without_classes_or_an_unknown_one_is_refused_with_the_heads_it_has():
    for head in ("age", "smile"):
        with pytest.raises(ExtractorError, match=r"class heads are \['gender', 'ethnicity'\]"):
            make_extractor(f"classifier_multitask_utkface_48:{head}")
