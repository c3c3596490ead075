"""predict finds and aligns the faces of a photo by default: one row per face with its box; a photo without a
face is a counted skip, said in the output, never read as a centre crop; the output says what the models were
trained on."""

from __future__ import annotations

import csv
import os

import numpy as np
import pytest
from PIL import Image

import zoo
from tests.conftest import UTKFACE_REAL, needs_real_utkface
from zoo.classification.predict import predict_main


def tiny_preset(folder, dataset: str) -> str:
    from zoo.models.face_classifier import FaceClassifier

    model = FaceClassifier(tasks=("gender", "age"), image_size=16, channels=1, filters=(4, 4), dense_units=8)
    model.build((None, 16, 16, 1))
    return zoo.save_to_preset(model, str(folder), {"dataset": dataset})


def faceless(folder) -> list[str]:
    """A grey picture and a noise picture: nothing a face detector should call a face."""
    os.makedirs(folder, exist_ok=True)
    grey, noise = os.path.join(folder, "grey.png"), os.path.join(folder, "noise.png")
    Image.fromarray(np.full((120, 160, 3), 128, np.uint8)).save(grey)
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (120, 160, 3), dtype=np.uint8)).save(noise)
    return [grey, noise]


def test_photos_without_a_face_are_skipped_not_centre_cropped(tmp_path, capsys):
    preset = tiny_preset(tmp_path / "p", "utkface (test)")
    files = faceless(tmp_path / "photos")
    assert predict_main(["--preset", preset, *files]) == 2
    err = capsys.readouterr().err
    assert "skipped: no face found in" in err and "grey.png" in err and "noise.png" in err
    assert "error: no prediction: of 2 image files, 2 without a face" in err
    assert predict_main(["--no-align", "--preset", preset, *files]) == 0  # the old centre crop, on request only
    out = capsys.readouterr().out
    assert "--no-align: each photo's central square is used" in out and "grey.png" in out


def test_alignment_is_refused_for_a_model_not_trained_on_utkface(tmp_path, capsys):
    preset = tiny_preset(tmp_path / "p", "synthetic")
    assert predict_main(["--preset", preset, *faceless(tmp_path / "photos")]) == 2
    err = capsys.readouterr().err
    assert "trained on synthetic" in err and "use --no-align" in err


@pytest.mark.real_data
@needs_real_utkface()
def test_a_face_gets_a_row_with_its_box_and_a_faceless_photo_is_counted(tmp_path, capsys):
    preset = tiny_preset(tmp_path / "p", "utkface (test)")
    folder = tmp_path / "photos"
    faceless(folder)
    name = sorted(f for f in os.listdir(UTKFACE_REAL) if f.endswith(".chip.jpg"))[0]
    photo = Image.new("RGB", (400, 300), (40, 60, 90))
    photo.paste(Image.open(os.path.join(UTKFACE_REAL, name)).convert("RGB"), (195, 60))
    photo.save(folder / "person.png")
    out_csv = str(tmp_path / "p.csv")
    assert predict_main(["--preset", preset, "--csv", out_csv, str(folder)]) == 0
    out = capsys.readouterr().out
    assert "models trained on UTKFace chips" in out and "aligned to the mean landmarks" in out
    assert "note: 2 of 3 images skipped: no face found" in out
    (row,) = csv.DictReader(open(out_csv))
    assert list(row)[:6] == ["file", "face", "box_x", "box_y", "box_width", "box_height"]
    assert row["file"] == "person.png" and row["face"] == "0"
    # The box is the pasted chip's face (chip: x 195-395, y 60-260), right of the photo's centre (x 200).
    x, y, w, h = (float(row[k]) for k in ("box_x", "box_y", "box_width", "box_height"))
    assert 195 <= x and w > 60 and 250 < x + w / 2 < 340 and 110 < y + h / 2 < 210
