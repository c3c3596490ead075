"""bench.align_photos.render_photo: the photo a test face is re-rendered into holds that face and no other, so the
detector's largest face is the subject (an enlarged background face used to win in 12 of 100 photos)."""

import glob
import os

import numpy as np

from bench.align_photos import is_pasted_face, render_photo
from tests.conftest import UTKFACE_REAL, needs_real_utkface
from zoo.data.files import read_image


def _chips(count):
    return [read_image(p, 3) for p in sorted(glob.glob(os.path.join(UTKFACE_REAL, "*.jpg")))[:count]]


@needs_real_utkface()
def test_the_background_holds_no_face_and_the_face_found_is_the_pasted_one():
    from zoo.data.face_detector import FaceDetector

    detector = FaceDetector()
    faces = _chips(16)
    blank = np.full_like(faces[0], 128)
    # real faces as backgrounds, nothing pasted but a grey square: before the tiles, 5 of 10 held a face
    assert not any(detector.detect(render_photo(blank, back, np.random.default_rng(i)))
                   for i, back in enumerate(faces[:10]))
    found = 0
    for i in range(6):
        where = {}
        photo = render_photo(faces[10 + i], faces[i], np.random.default_rng(i), where)
        assert photo.shape[0] >= 2 * faces[0].shape[0] and set(where) == {"centre", "side"}
        detected = detector.detect(photo)
        found += bool(detected) and is_pasted_face(detected[0], where)
    assert found >= 5


def test_is_pasted_face_reads_the_landmarks_against_the_paste():
    class Face:
        landmarks = np.array([[90.0, 100.0], [110.0, 100.0], [100.0, 110.0], [92.0, 120.0], [108.0, 120.0]])

    assert is_pasted_face(Face, {"centre": (100.0, 105.0), "side": 200})
    assert not is_pasted_face(Face, {"centre": (300.0, 300.0), "side": 200})
