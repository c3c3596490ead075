"""utkface_classifiers predict: several files and folders in one call; a CSV only where --csv says."""

from __future__ import annotations

import csv
import os

import numpy as np
import pytest
from PIL import Image

import zoo
from recipes import utkface_classifiers as uc


@pytest.fixture(scope="module")
def preset(tmp_path_factory):
    from zoo.models.face_classifier import FaceClassifier

    model = FaceClassifier(tasks=("gender", "age"), image_size=16, channels=1, filters=(4, 4), dense_units=8)
    model.build((None, 16, 16, 1))
    return zoo.save_to_preset(model, str(tmp_path_factory.mktemp("c")), {"dataset": "synthetic"})


@pytest.fixture
def images(tmp_path):
    """Two loose files (in two folders) and a folder of two more, each a different picture."""
    rng = np.random.default_rng(0)
    paths = {}
    for rel in ("x/one.jpg", "y/two.png", "faces/a.jpg", "faces/b.png"):
        path = tmp_path / rel
        path.parent.mkdir(exist_ok=True)
        Image.fromarray(rng.integers(0, 255, (20, 18, 3), dtype=np.uint8)).save(path)
        paths[rel] = str(path)
    (tmp_path / "faces" / "notes.txt").write_text("not an image, not listed")
    return tmp_path, paths


def test_two_files_and_a_folder_give_one_row_per_image(preset, images, capsys):
    root, paths = images
    out_csv = str(root / "out" / "p.csv")
    faces = str(root / "faces")
    argv = ["predict", "--no-align", "--preset", preset, "--csv", out_csv, paths["x/one.jpg"], paths["y/two.png"], faces]
    assert uc.main(argv) == 0
    rows = list(csv.DictReader(open(out_csv)))
    assert [r["file"] for r in rows] == [paths["x/one.jpg"], paths["y/two.png"], os.path.join(faces, "a.jpg"),
                                         os.path.join(faces, "b.png")]
    assert list(rows[0]) == ["file", "gender", "gender_prob", "low_confidence", "age"]
    # each row is that image's own prediction: the same file alone gives the same numbers
    capsys.readouterr()
    alone = str(root / "alone.csv")
    assert uc.main(["predict", "--no-align", "--preset", preset, "--csv", alone, paths["y/two.png"]]) == 0
    (single,) = csv.DictReader(open(alone))
    assert {k: v for k, v in single.items() if k != "file"} == {k: v for k, v in rows[1].items() if k != "file"}


def test_no_csv_is_written_without_csv_and_a_table_is_printed(preset, images, capsys, monkeypatch):
    root, paths = images
    cwd = root / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    assert uc.main(["predict", "--no-align", "--preset", preset, str(root / "faces"), paths["x/one.jpg"]]) == 0
    assert os.listdir(cwd) == [] and not os.path.exists(root / "predictions.csv")
    lines = capsys.readouterr().out.strip().splitlines()
    header = lines[0].split()
    assert header[:3] == ["file", "gender", "age"]
    body = [line for line in lines[1:] if line.strip() and not line.startswith(("note", "-"))]
    assert [line.split()[0] for line in body] == [os.path.join(str(root / "faces"), "a.jpg"),
                                                 os.path.join(str(root / "faces"), "b.png"), paths["x/one.jpg"]]
    assert all("p=" in line for line in body)


def test_a_missing_path_among_several_is_named_before_any_work(preset, images, capsys):
    root, paths = images
    missing = str(root / "nope.jpg")
    assert uc.main(["predict", "--no-align", "--preset", preset, paths["x/one.jpg"], missing, str(root / "faces")]) == 2
    captured = capsys.readouterr()
    assert "nope.jpg does not exist" in captured.err and "Traceback" not in captured.err
    assert captured.out == ""
