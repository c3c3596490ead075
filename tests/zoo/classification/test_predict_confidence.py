"""predict marks a class whose top probability is below LOW_CONFIDENCE, in the table and in the CSV; age, which
has no uncertainty, is never marked."""

from __future__ import annotations

import csv

import numpy as np
from PIL import Image

import zoo
from zoo.classification.predict import LOW_CONFIDENCE, predict_main


def preset_with_fixed_heads(folder) -> str:
    """A classifier whose heads ignore the image: gender is female at p~0.99, ethnicity uniform (p=0.2 each)."""
    from zoo.models.face_classifier import FaceClassifier

    model = FaceClassifier(tasks=("gender", "ethnicity", "age"), image_size=16, channels=1, filters=(4, 4),
                           dense_units=8)
    model.build((None, 16, 16, 1))
    for name, bias in (("gender_out", [0.0, 5.0]), ("ethnicity_out", [0.0] * 5)):
        layer = model.get_layer(name)
        layer.set_weights([np.zeros_like(layer.get_weights()[0]), np.asarray(bias, np.float32)])
    return zoo.save_to_preset(model, str(folder), {"dataset": "utkface (test)"})


def test_a_low_top_probability_is_marked_and_age_is_not(tmp_path, capsys):
    assert 0.2 < LOW_CONFIDENCE < 0.99
    preset = preset_with_fixed_heads(tmp_path / "p")
    photo = tmp_path / "a.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (16, 16, 3), dtype=np.uint8)).save(photo)
    assert predict_main(["--no-align", "--preset", preset, str(photo)]) == 0
    out = capsys.readouterr().out
    (line,) = [row for row in out.splitlines() if row.startswith(str(photo))]
    assert "p=0.2 (low confidence)" in line and line.count("(low confidence)") == 1  # gender at 0.99 is not
    assert "1 of 1 rows have a class below p=0.7" in out
    out_csv = str(tmp_path / "p.csv")
    assert predict_main(["--no-align", "--preset", preset, "--csv", out_csv, str(photo)]) == 0
    (row,) = csv.DictReader(open(out_csv))
    assert row["low_confidence"] == "ethnicity" and float(row["gender_prob"]) > 0.99 and row["age"]
