"""The preset-spaces block: presets against the test faces in every space they were measured in, from their
metadata, refusing records of other weights or of mixed protocols."""

from __future__ import annotations

import pytest

from docs.generate import DocsError
from docs.preset_spaces import kendall_tau, render

GREY, FACE = "classifier_gender_utkface_48", "face_embedding"


def _rec(space, fd, p, r, floor=(2.9, 0.77, 0.75), sha="w", n=1000):
    name = f"[{space}]"
    return {f"FD{name}": {"mean": fd, "std": 0}, f"precision{name}": {"mean": p, "std": 0},
            f"recall{name}": {"mean": r, "std": 0},
            "floor": {f"FD{name}": floor[0], f"precision{name}": floor[1], f"recall{name}": floor[2]},
            "n": n, "repeats": 1, "resolution": 32, "split": "test", "weights_sha256": sha,
            "command": f"python -m zoo.evaluate ... --extractor {space}"}


def _metas(grey, face, sha="w"):
    return {name: {"weights_sha256": "w", "test_distances": {GREY: _rec(GREY, g, 0.6, 0.5, sha=sha),
                                                             FACE: _rec(FACE, f, 0.9, 0.4, (0.007, 0.86, 0.88))}}
            for name, g, f in zip(("a", "b", "c"), grey, face)}


def test_rows_follow_the_first_space_with_floor_and_rank_agreement():
    text = render(_metas((25.5, 8.7, 33.5), (0.12, 0.027, 0.22)), "test", DocsError)
    lines = text.splitlines()
    assert [line.split("`")[1] for line in lines[2:5]] == ["b", "a", "c"]  # lowest FD first
    assert "| `b` | 8.7 (0.60 / 0.50) | 0.027 (0.90 / 0.40) |" in text
    assert "| real faces (the floor) | 2.9 (0.77 / 0.75) | 0.007 (0.86 / 0.88) |" in text
    assert "grey / face embedding 1.00" in text
    swapped = render(_metas((25.5, 8.7, 33.5), (0.22, 0.027, 0.12)), "test", DocsError)
    assert "grey / face embedding 0.33" in swapped


def test_a_record_of_other_weights_or_another_protocol_is_refused():
    with pytest.raises(DocsError, match="other weights.*re-measure: python -m zoo.evaluate"):
        render(_metas((1, 2, 3), (1, 2, 3), sha="old"), "test", DocsError)
    metas = _metas((1, 2, 3), (1, 2, 3))
    metas["c"]["test_distances"][GREY]["n"] = 500
    with pytest.raises(DocsError, match="one python -m zoo.preset_distance run"):
        render(metas, "test", DocsError)
    with pytest.raises(DocsError, match="--split validation measures them"):
        render(_metas((1, 2, 3), (1, 2, 3)), "validation", DocsError)


def test_kendall_tau():
    assert kendall_tau([1, 2, 3, 4], [10, 20, 30, 40]) == 1.0
    assert kendall_tau([1, 2, 3, 4], [4, 3, 2, 1]) == -1.0
    assert kendall_tau([1, 2, 3], [1, 3, 2]) == pytest.approx(1 / 3)


def test_floors_of_separate_runs_may_differ_by_float_noise_only():
    metas = _metas((1, 2, 3), (1, 2, 3))
    floor = metas["c"]["test_distances"][GREY]["floor"]
    floor["FD[classifier_gender_utkface_48]"] *= 1 + 1e-5  # another run of the same protocol
    render(metas, "test", DocsError)
    floor["FD[classifier_gender_utkface_48]"] *= 1.01  # another real draw
    with pytest.raises(DocsError, match="one python -m zoo.preset_distance run"):
        render(metas, "test", DocsError)
