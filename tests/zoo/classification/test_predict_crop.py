"""predict reads a photo as training read its data: a non-square photo is cropped to its central square, not
stretched."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from PIL import Image

import zoo
from zoo.classification.predict import predict_main


@pytest.fixture(scope="module")
def preset(tmp_path_factory):
    from zoo.models.face_classifier import FaceClassifier

    model = FaceClassifier(tasks=("gender", "ethnicity", "age"), image_size=16, channels=1, filters=(4, 4),
                           dense_units=8)
    model.build((None, 16, 16, 1))
    return zoo.save_to_preset(model, str(tmp_path_factory.mktemp("c")), {"dataset": "synthetic"})


def test_a_wide_photo_predicts_as_its_central_square(preset, tmp_path, capsys):
    rng = np.random.default_rng(0)
    centre = rng.integers(0, 120, (24, 24, 3), dtype=np.uint8)
    wide = np.full((24, 40, 3), 255, np.uint8)  # white bands left and right that a stretch would squeeze in
    wide[:, 8:32] = centre
    Image.fromarray(wide).save(tmp_path / "a_wide.png")
    Image.fromarray(centre).save(tmp_path / "b_square.png")
    out = str(tmp_path / "p.csv")
    assert predict_main(["--no-align", "--preset", preset, "--csv", out, str(tmp_path)]) == 0
    wide_row, square_row = csv.DictReader(open(out))
    assert (wide_row["file"], square_row["file"]) == ("a_wide.png", "b_square.png")
    assert {k: v for k, v in wide_row.items() if k != "file"} == {k: v for k, v in square_row.items() if k != "file"}
    assert "2 images were converted" in capsys.readouterr().out


def test_the_prog_name_is_the_callers(preset, tmp_path, capsys):
    assert predict_main(["--no-align", "--preset", preset, str(tmp_path / "missing.jpg")], prog="facezoo-predict") == 2
    err = capsys.readouterr().err
    assert err.startswith("facezoo-predict: error:") and "missing.jpg does not exist" in err
