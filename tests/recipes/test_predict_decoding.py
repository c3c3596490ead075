"""utkface_classifiers predict decodes like the training pipeline and refuses oversized files one by one."""

from __future__ import annotations

import csv
import os

import numpy as np
import pytest
from PIL import Image

import zoo
from recipes import utkface_classifiers as uc
from tests.zoo.data.test_image_files import _huge_png


@pytest.fixture(scope="module")
def preset(tmp_path_factory):
    from zoo.models.face_classifier import FaceClassifier

    model = FaceClassifier(tasks=("gender", "age"), image_size=16, channels=1, filters=(4, 4), dense_units=8)
    model.build((None, 16, 16, 1))
    return zoo.save_to_preset(model, str(tmp_path_factory.mktemp("c")), {"dataset": "synthetic"})


def test_16_bit_png_predicts_as_its_8_bit_twin(preset, tmp_path, capsys):
    grey = np.random.default_rng(0).integers(0, 200, (24, 24)).astype(np.uint16)
    folder = tmp_path / "imgs"
    folder.mkdir()
    Image.fromarray(grey.astype(np.uint8)).save(folder / "a8.png")
    Image.fromarray(grey * 257).save(folder / "b16.png")  # the same picture in 16 bits (Pillow mode I;16)
    csv_path = str(tmp_path / "p.csv")
    assert uc.main(["predict", "--no-align", "--preset", preset, "--csv", csv_path, str(folder)]) == 0
    a, b = list(csv.DictReader(open(csv_path)))
    assert (a["file"], b["file"]) == ("a8.png", "b16.png")
    assert {k: v for k, v in a.items() if k != "file"} == {k: v for k, v in b.items() if k != "file"}


def test_an_oversized_file_is_skipped_with_a_message_and_the_folder_goes_on(preset, tmp_path, capsys):
    folder = tmp_path / "imgs"
    folder.mkdir()
    rng = np.random.default_rng(1)
    for name in ("a.jpg", "c.png"):
        Image.fromarray(rng.integers(0, 255, (20, 20, 3), dtype=np.uint8)).save(folder / name)
    (folder / "b_huge.png").write_bytes(_huge_png(14000, 14000))
    csv_path = str(tmp_path / "p.csv")
    assert uc.main(["predict", "--no-align", "--preset", preset, "--csv", csv_path, str(folder)]) == 0
    err = capsys.readouterr().err
    assert "b_huge.png is 14000x14000 pixels" in err and "Traceback" not in err
    assert [r["file"] for r in csv.DictReader(open(csv_path))] == ["a.jpg", "c.png"]
    assert uc.main(["predict", "--no-align", "--preset", preset, os.path.join(folder, "b_huge.png")]) == 2
