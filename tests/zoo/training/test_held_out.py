"""The held-out parts of the presets' split as a run sees them: a run with --train-on train never meets its
validation or test faces, and its progressive level evaluations measure on the validation faces."""

import types

import numpy as np
import pytest

from zoo.training.progressive_run import evaluation_source
from zoo.training.setup import held_out_part, load_training_source


def _cfg(**kw):
    base = dict(data="synthetic", data_dir=None, image_size=8, num_synthetic=40, seed=0, background="raw",
                mask_dir=None, train_on="train", train_images=0, batch_size=4, resolutions=(4, 8))
    return types.SimpleNamespace(**{**base, **kw})


def _pixels(source):
    return {a.tobytes() for a in source.arrays}


def test_the_train_validation_and_test_parts_are_disjoint_and_cover_the_set():
    cfg = _cfg()
    train, validation, test = load_training_source(cfg), held_out_part(cfg, "validation"), held_out_part(cfg, "test")
    assert (len(train), len(validation), len(test)) == (28, 8, 4)
    parts = [_pixels(train), _pixels(validation), _pixels(test)]
    assert sum(map(len, parts)) == 40 and len(set.union(*parts)) == 40
    assert validation.info["split"]["part"] == "validation" and validation.info["split"]["of"] == 40
    assert np.array_equal(held_out_part(cfg, "test").arrays, test.arrays)  # the same faces every time


def test_level_evaluations_measure_on_the_validation_faces_only_when_training_on_the_train_part():
    cfg = _cfg()
    train = load_training_source(cfg)
    assert _pixels(evaluation_source(cfg, train)) == _pixels(held_out_part(cfg, "validation", image_size=8))
    everything = load_training_source(_cfg(train_on="all"))
    assert evaluation_source(_cfg(train_on="all"), everything) is everything  # the papers' setup
    assert evaluation_source(_cfg(data="celeba"), everything) is everything  # CelebA: its own split
    with pytest.raises(ValueError, match="CelebA"):
        held_out_part(_cfg(data="celeba"), "test")
