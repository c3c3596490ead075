"""Uploads in Analyse, Edit, Restore and Interpolate are read as predict and zoo.latent read a photo: the largest
face aligned to the UTKFace template, shown beside the result; a picture without a face says so instead of being
centre cropped. Through the tabs' functions, no browser."""

import numpy as np
import pytest
from PIL import Image

from demo import core, latents
from demo.tabs import analyse, edit, interpolate, restore

NO_FACE = "no face found in the uploaded face image"


@pytest.fixture
def grey(tmp_path):
    path = tmp_path / "grey.png"
    Image.fromarray(np.full((120, 160, 3), 128, np.uint8)).save(path)
    return str(path)


@pytest.fixture
def framed_face(tmp_path):
    """A shipped example face (a generated face, nobody's photo), small and off-centre in a wider picture."""
    face = Image.open(core.example_faces()[0]).convert("RGB").resize((96, 96), Image.Resampling.LANCZOS)
    photo = Image.new("RGB", (320, 200), (40, 60, 90))
    photo.paste(face, (210, 20))
    path = tmp_path / "framed.png"
    photo.save(path)
    return str(path)


def test_a_picture_without_a_face_is_said_in_every_tab(grey, vae_presets, classifier_presets):
    enc, dec = vae_presets
    with pytest.raises(core.DemoError, match=NO_FACE):
        analyse.analyse_upload(grey, [classifier_presets[0]])
    with pytest.raises(core.DemoError, match=NO_FACE):
        restore.restore(core.read_upload(grey), dec, enc)
    with pytest.raises(core.DemoError, match=NO_FACE):
        edit.edit(dec, photo=grey, encoder=enc)
    with pytest.raises(core.DemoError, match=f"photo B: {NO_FACE}"):
        interpolate.photos_as_read(dec, (None, grey))
    with pytest.raises(core.DemoError, match=NO_FACE):
        interpolate.interpolate(dec, steps=3, photo_a=grey, encoder=enc)
    # on request, the central square as before
    crop, text, _ = analyse.analyse_upload(grey, [classifier_presets[0]], align=False)
    assert crop.shape == (120, 120, 3) and classifier_presets[0] in text


def test_the_aligned_face_is_shown_beside_the_result(framed_face, vae_presets, classifier_presets):
    enc, dec = vae_presets
    crop, text, results = analyse.analyse_upload(framed_face, [classifier_presets[0]])
    assert crop.shape == (200, 200, 3)  # the UTKFace chips' side
    square = core.face_crop(core.read_upload(framed_face), align=False)
    assert square.shape == (200, 200, 3) and not np.array_equal(crop, square)
    # the face fills the aligned crop: far less of the plain background than in the central square
    background = lambda img: np.all(np.abs(img.astype(int) - (40, 60, 90)) <= 2, axis=-1).mean()  # noqa: E731
    assert background(crop) < 0.2 < background(square)
    row = edit.edit(dec, photo=framed_face, encoder=enc)
    shown = latents.photo_input(dec, framed_face)
    assert row.shape == (20, 56, 3)  # photo as read | unedited | edited
    np.testing.assert_array_equal(row[2:18, 2:18], core.grid(shown)[2:18, 2:18])
    np.testing.assert_array_equal(shown, core.to_model_input(crop, 16, 3))
    both = interpolate.photos_as_read(dec, (framed_face, framed_face))
    assert both.shape == (20, 38, 3) and interpolate.photos_as_read(dec, (None, None)) is None
    restored, _ = restore.restore(core.read_upload(framed_face), dec, enc)
    np.testing.assert_array_equal(restored[2:18, 2:18], core.grid(shown)[2:18, 2:18])  # the original is the face
