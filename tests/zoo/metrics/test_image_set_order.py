"""A real set is read in a seeded random order, not the folder's (UTKFace's files are sorted by age)."""

import numpy as np

from zoo.data.source import ImageSource
from zoo.metrics.image_sets import ImageSet


def _sorted_set(n=400):
    arrays = np.repeat((np.arange(n) % 256).astype(np.uint8)[:, None, None, None], 4, axis=1)
    arrays = np.repeat(np.repeat(arrays, 4, axis=2), 3, axis=3)  # image i is the constant i % 256, 4x4x3
    return ImageSet("sorted", "dataset", 4, 3, n, {}, source=ImageSource("sorted", arrays=arrays, num_examples=n))


def _order(image_set, n, seed):
    return np.concatenate([b[:, 0, 0, 0].numpy() for b in image_set.batches(n, 50, seed)]).astype(int)


def test_a_subset_and_the_whole_set_come_in_a_seeded_random_order():
    s = _sorted_set(200)
    part, whole = _order(s, 100, 0), _order(s, 1000, 0)
    assert len(set(part)) == 100 and sorted(whole) == list(range(200))  # a subset without repeats; every image
    for order in (part, whole):  # the first half is a fair draw, not the lowest indices (the file order)
        assert abs(order[: len(order) // 2].mean() - 99.5) < 25
    assert np.array_equal(_order(s, 100, 0), part) and not np.array_equal(_order(s, 100, 1), part)
