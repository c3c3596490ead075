"""A photo given to the latent tools is read as predict reads it: its largest face found and aligned to the UTKFace
template, then resized to the model's size; --no-align reads the central square. No face: a sentence and exit 2
for one photo, a counted skip among several."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from PIL import Image

from tests.conftest import UTKFACE_REAL, needs_real_utkface
from zoo.latent.__main__ import main

SIZE = 64


def first_chip() -> str:
    return os.path.join(UTKFACE_REAL, sorted(f for f in os.listdir(UTKFACE_REAL) if f.endswith(".chip.jpg"))[0])


@pytest.fixture
def off_centre(tmp_path):
    """A UTKFace chip enlarged to 260 px and pasted near the right edge of a 900x450 picture."""
    chip = Image.open(first_chip()).convert("RGB")
    photo = Image.new("RGB", (900, 450), (40, 60, 90))
    photo.paste(chip.resize((260, 260), Image.Resampling.LANCZOS), (610, 120))
    path = tmp_path / "person.png"
    photo.save(path)
    return str(path), np.asarray(chip)


def grey(folder) -> str:
    path = os.path.join(folder, "grey.png")
    Image.fromarray(np.full((120, 160, 3), 128, np.uint8)).save(path)
    return path


@pytest.mark.real_data
@needs_real_utkface()
def test_an_off_centre_face_comes_back_close_to_its_chip(off_centre):
    from zoo.data.transforms import model_input
    from zoo.latent.data import read_photo

    path, chip = off_centre
    want = model_input(chip, SIZE, 3)
    aligned, square = read_photo(path, SIZE), read_photo(path, SIZE, align=False)
    assert aligned.record()["aligned"] and aligned.record()["faces_found"] == 1
    assert square.record() == {"aligned": False, "how": "central square (--no-align)"}
    mse_aligned = float(((aligned.x - want) ** 2).mean())
    mse_square = float(((square.x - want) ** 2).mean())
    # The template is UTKFace's mean framing, so the aligned face is near its chip, not equal to it.
    assert mse_aligned < 0.5 * mse_square, (mse_aligned, mse_square)


@pytest.mark.real_data
@needs_real_utkface()
def test_the_command_records_whether_the_photo_was_aligned(tiny, off_centre, tmp_path):
    path, _ = off_centre
    for flags, aligned in (([], True), (["--no-align"], False)):
        out = tmp_path / str(aligned)
        assert main(["project", "--model", tiny["gen"], "--image", path, "--steps", "2", *flags, "--out",
                     str(out)]) == 0
        report = json.load(open(out / "project.json"))
        assert report["photo"]["aligned"] is aligned
        assert ("box" in report["photo"]) is aligned


def test_one_photo_without_a_face_is_a_sentence_and_exit_2(tiny, tmp_path, capsys):
    photo = grey(tmp_path)
    assert main(["project", "--model", tiny["gen"], "--image", photo, "--steps", "2", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"error: no face found in {photo} (--no-align reads its central square instead)" in err
    assert "Traceback" not in err and not os.path.isfile(tmp_path / "project.json")


@pytest.mark.real_data
@needs_real_utkface()
def test_several_photos_skip_a_faceless_one_and_count_it(tiny, off_centre, tmp_path, capsys):
    from zoo.latent.data import load_photos

    path, _ = off_centre
    empty = grey(tmp_path)
    x, records, skipped = load_photos([path, empty, path], 16)
    assert x.shape == (2, 16, 16, 3) and skipped == [empty] and [r["path"] for r in records] == [path, path]
    assert f"skipped: no face found in {empty}" in capsys.readouterr().err
    # interpolate needs its two faces: one missing is an error that says how many
    assert main(["interpolate", "--model", tiny["dec"], "--encoder", tiny["enc"], "--images", f"{path},{empty}",
                 "--steps", "3", "--out", str(tmp_path / "i")]) == 2
    err = capsys.readouterr().err
    assert "no face found in 1 of 2 --images" in err and "needs 2 faces" in err and "Traceback" not in err


@pytest.mark.real_data
@needs_real_utkface()
def test_a_photo_with_two_faces_gives_the_larger_and_says_so(tmp_path, capsys):
    from zoo.latent.data import read_photo

    chip = Image.open(first_chip()).convert("RGB")
    photo = Image.new("RGB", (700, 400), (40, 60, 90))
    photo.paste(chip.resize((150, 150), Image.Resampling.LANCZOS), (30, 200))
    photo.paste(chip.resize((300, 300), Image.Resampling.LANCZOS), (360, 50))
    path = str(tmp_path / "two.png")
    photo.save(path)
    record = read_photo(path, SIZE).record()
    assert record["faces_found"] == 2
    x, _, w, _ = record["box"]
    assert x > 350 and w > 100  # the face of the 300 px copy, not the 150 px one
    assert f"note: 2 faces in {path}; the largest is used" in capsys.readouterr().out
