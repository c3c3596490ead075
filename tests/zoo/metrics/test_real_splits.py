"""Real datasets without an official split are measured on a part of the presets' own 70/20/10 split: validation to
choose, test to report (issue 27's protocol)."""

import numpy as np
import pytest

from zoo.data.splits import split_indices
from zoo.metrics.image_sets import ImageSetError, resolve


def test_utkface_parts_are_the_presets_split_and_together_all_of_it(utkface_dir):
    whole = resolve(f"utkface:{utkface_dir}", real=True, image_size=16)
    assert whole.info["split"] == "all"
    paths = list(whole.source.paths)
    parts = {s: resolve(f"utkface:{utkface_dir}", real=True, split=s, image_size=16) for s in
             ("train", "validation", "test")}
    expected = split_indices(len(paths), seed=0)
    for name, part in parts.items():
        assert part.info["split"] == name
        assert list(part.source.paths) == [paths[i] for i in expected[name]]
    got = sorted(p for part in parts.values() for p in part.source.paths)
    assert got == sorted(paths)  # disjoint and complete
    assert np.array_equal(parts["test"].source.labels["age"], whole.source.labels["age"][expected["test"]])


def test_an_unknown_split_is_a_sentence(utkface_dir):
    with pytest.raises(ImageSetError, match="expected all or one of train, validation, test"):
        resolve(f"utkface:{utkface_dir}", real=True, split="dev", image_size=16)
