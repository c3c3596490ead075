"""--train-images N (issue 28's data-efficiency ablation): a seeded subset of the training set that does not move
with --seed (so arms differing in one flag train on the same faces), recorded, and refused beyond the set's size."""

import numpy as np
import pytest

from recipes.celeba_dcgan import Config
from zoo.training.setup import load_training_source


def _source(**kw):
    return load_training_source(Config(data="synthetic", image_size=8, num_synthetic=40, batch_size=4, **kw))


def test_the_subset_is_seeded_independent_of_the_run_seed_and_recorded():
    whole = _source()
    a, b = _source(train_images=12), _source(train_images=12, seed=0)
    assert len(a) == 12 and a.info["subset"] == {"seed": 0, "images": 12, "of": 40}
    np.testing.assert_array_equal(a.arrays, b.arrays)
    # the images are those of the whole set (no re-rendering) and not simply its first 12
    rows = [int(np.flatnonzero((whole.arrays == x).all(axis=(1, 2, 3)))[0]) for x in a.arrays]
    assert rows == sorted(rows) and rows != list(range(12))
    assert len(_source(train_images=5)) == 5 and len(_source()) == 40


def test_train_images_applies_after_the_train_split():
    part = _source(train_on="train")
    sub = _source(train_on="train", train_images=10)
    assert sub.info["split"]["part"] == "train" and sub.info["subset"]["of"] == len(part) == 28
    assert all(any((x == y).all() for y in part.arrays) for x in sub.arrays)


def test_more_images_than_the_set_has_is_a_sentence():
    with pytest.raises(ValueError, match=r"--train-images 41: the training set .* has 40 images"):
        _source(train_images=41)
