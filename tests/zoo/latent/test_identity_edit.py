"""zoo.latent's identity reports: an edit's identity curve starts at the unedited face (distance ~0 at intensity 0)
and has one entry per intensity, with its figure; project and edit --image report photo -> projection/encoding;
without dlib each says so in a sentence and the command still succeeds."""

import json
import os
import sys

import numpy as np

from zoo.latent.__main__ import main


def _run(out, *argv):
    assert main([*argv, "--out", str(out)]) == 0
    return json.load(open(os.path.join(out, ("directions_report" if argv[0] == "directions" else argv[0]) + ".json")))


def test_edit_and_project_report_identity_and_without_dlib_a_sentence(tiny, tmp_path, photo, monkeypatch):
    _run(tmp_path / "d", "directions", "--model", tiny["gen"], "--samples", "60", "--classifier", tiny["clf"],
         "--tasks", "gender", "--edit-count", "1", "--edit-steps", "3")
    edit = ["edit", "--model", tiny["gen"], "--directions", str(tmp_path / "d"), "--direction", "gender",
            "--classifier", tiny["clf"], "--edit-count", "3", "--edit-steps", "5"]
    e = _run(tmp_path / "e", *edit)["edit_identity"]
    d = np.asarray(e["distances"])
    assert d.shape == (3, 5) and e["intensities"][2] == 0.0 and len(e["share_same_person_per_step"]) == 5
    assert d[:, 2].max() < 0.05, d  # intensity 0 is the unedited face itself
    assert np.allclose(e["mean_per_step"], d.mean(0)) and os.path.isfile(tmp_path / "e" / "edit_gender_identity.png")
    p = _run(tmp_path / "p", "project", "--model", tiny["gen"], "--image", photo, "--no-align", "--steps", "3",
             "--directions", str(tmp_path / "d"), "--direction", "gender", "--edit-steps", "3")
    assert p["identity"]["between"] == "photo and projection" and 0 <= p["identity"]["distance"] < 2
    assert np.asarray(p["edit_identity"]["distances"]).shape == (1, 3)

    from zoo.metrics import identity

    monkeypatch.setitem(sys.modules, "dlib", None)  # import dlib -> ImportError
    identity.extractor.cache_clear()
    try:
        r = _run(tmp_path / "n", *edit)
        q = _run(tmp_path / "n", "project", "--model", tiny["gen"], "--image", photo, "--no-align", "--steps", "1")
    finally:
        identity.extractor.cache_clear()
    assert "pip install" in r["edit_identity"]["unavailable"] and "pip install" in q["identity"]["unavailable"]
    assert not os.path.isfile(tmp_path / "n" / "edit_gender_identity.png")
