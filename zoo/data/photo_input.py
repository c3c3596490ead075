"""A user's photo as a model's input, one code path for ``predict``, the latent tools and the demo.

By default the photo's faces are found by MTCNN (``zoo.data.face_detector``) and aligned to the UTKFace template
(``zoo.data.align``) at the chips' own side (200 px), the framing every shipped model was trained on; the crop is
then read as training read its chips (``transforms.model_input``: resized to the model's size, converted to its
channels). ``align=False`` reads the photo's central square instead, as the tools did before alignment existed.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from export.face_align import central_square  # noqa: F401 (shared with the TensorFlow-free runtime)
from zoo.data.errors import DataError

NO_ALIGN_HINT = "--no-align reads its central square instead"


class NoFaceError(DataError):
    """A photo in which the detector found no face."""


@dataclasses.dataclass(frozen=True)
class PhotoFace:
    """One face of a photo as a model reads it: ``x`` float32 [1, S, S, C] in [-1, 1]; ``crop`` the uint8
    [side, side, 3] aligned chip (the central square when not aligned); ``face`` the detection (None when not
    aligned); ``faces_found`` how many faces the photo held (0 when not aligned)."""

    x: np.ndarray
    crop: np.ndarray
    face: object = None
    faces_found: int = 0

    def record(self) -> dict:
        """What a report says of how the photo was read."""
        if self.face is None:
            return {"aligned": False, "how": "central square (--no-align)"}
        return {"aligned": True, "how": "largest face aligned to the UTKFace template", "faces_found": self.faces_found,
                "box": [round(float(v), 1) for v in self.face.box], "confidence": round(float(self.face.confidence), 4)}


@functools.lru_cache(maxsize=1)
def default_detector():
    """One ``FaceDetector`` per process: loading it takes seconds."""
    from zoo.data.face_detector import FaceDetector

    return FaceDetector()


@functools.lru_cache(maxsize=4)
def template_and_side(name: str = "utkface") -> tuple[dict, int]:
    """The alignment template ``name`` and the side (px) of the images it was derived from."""
    from zoo.data.align import load_template

    template = load_template(name)
    sides = template.get("image_sides") or []
    try:
        side = int(str(sides[0]).split("x")[0])
    except (IndexError, ValueError):
        raise DataError(f"alignment template {name!r} records no image side (image_sides: {sides!r})") from None
    return template, side


def face_crops(photo: np.ndarray, align: bool = True, all_faces: bool = False, detector=None,
               template: str = "utkface") -> list[tuple]:
    """``[(face, crop uint8 [side, side, 3], faces_found)]``: the largest face of ``photo`` (uint8 [H, W, 3]; every
    face with ``all_faces``, largest first) aligned to ``template`` at its chips' side; empty when no face is found.
    With ``align=False``, ``[(None, central square, 0)]``."""
    if not align:
        return [(None, central_square(photo), 0)]
    from zoo.data.align import align_face

    chosen, side = template_and_side(template)
    faces = (default_detector() if detector is None else detector).detect(photo)  # largest first
    return [(face, align_face(photo, face.landmarks, side, chosen), len(faces))
            for face in (faces if all_faces else faces[:1])]


def photo_faces(photo: np.ndarray, size: int, channels: int, align: bool = True, all_faces: bool = False,
                detector=None, template: str = "utkface") -> list[PhotoFace]:
    """``photo`` (uint8 [H, W, 3]) as model inputs of ``size`` px and ``channels``: its largest face aligned (every
    face with ``all_faces``, largest first), or with ``align=False`` its central square. An empty list when
    aligning and no face is found."""
    from zoo.data.transforms import model_input

    if not align:  # model_input crops the central square itself
        return [PhotoFace(model_input(photo, size, channels), central_square(photo))]
    return [PhotoFace(model_input(crop, size, channels), crop, face, n)
            for face, crop, n in face_crops(photo, True, all_faces, detector, template)]


def read_photo(path: str, size: int, channels: int = 3, align: bool = True, detector=None) -> PhotoFace:
    """One photo file's largest face (or central square) as ``photo_faces`` reads it. Raises DataError for an
    unreadable file and ``NoFaceError`` (a sentence naming the file) when aligning finds no face."""
    from zoo.data.files import read_image

    found = photo_faces(read_image(path, 3), size, channels, align, detector=detector)
    if not found:
        raise NoFaceError(f"no face found in {path} ({NO_ALIGN_HINT})")
    return found[0]
