"""The geometry of face alignment in numpy and Pillow alone, shared by the TensorFlow path (``zoo.data.align``,
``zoo.data.photo_input``) and the TensorFlow-free runtime (``export.runtime_face``), so both warp a face the same way.

The five landmarks of a detected face are fitted to a template's five points by a similarity transform (rotation,
uniform scale, translation; least squares, Umeyama 1991), and the photo is warped by it.
"""

from __future__ import annotations

import dataclasses

import numpy as np

GREY_WEIGHTS = (0.2989, 0.587, 0.114)  # tf.image.rgb_to_grayscale's, which the training pipeline uses


def similarity_transform(src, dst) -> np.ndarray:
    """The similarity (rotation, uniform scale, translation; no reflection) that maps ``src`` points onto ``dst``
    with the least squared error (Umeyama 1991). ``src``, ``dst``: [N, 2], N >= 2 not all equal. Returns float64
    [2, 3] ``M`` with ``dst ~ src @ M[:, :2].T + M[:, 2]``."""
    src, dst = np.asarray(src, np.float64), np.asarray(dst, np.float64)
    if src.shape != dst.shape or src.ndim != 2 or src.shape[1] != 2 or len(src) < 2:
        raise ValueError(f"expected two [N, 2] point sets with N >= 2, got {src.shape} and {dst.shape}")
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s, d = src - mu_s, dst - mu_d
    var_s = (s ** 2).sum() / len(src)
    if var_s <= 0:
        raise ValueError("the source points are all the same point; no transform fits them")
    u, sigma, vt = np.linalg.svd(d.T @ s / len(src))
    sign = np.diag([1.0, np.sign(np.linalg.det(u @ vt)) or 1.0])
    rotation = u @ sign @ vt
    scale = (sigma * np.diag(sign)).sum() / var_s
    return np.concatenate([scale * rotation, (mu_d - scale * rotation @ mu_s)[:, None]], axis=1)


def apply_transform(m: np.ndarray, points) -> np.ndarray:
    """``points`` [N, 2] mapped by the [2, 3] affine ``m``."""
    return np.asarray(points, np.float64) @ m[:, :2].T + m[:, 2]


def align_face(image: np.ndarray, landmarks, size: int, template: dict) -> np.ndarray:
    """``image`` (uint8 [H, W, 3]) warped so that its face's ``landmarks`` ([5, 2] continuous pixel coordinates:
    eyes, nose, mouth corners, left/right as seen) land on the template's ``landmarks`` ([5, 2] fractions of the
    side): uint8 [size, size, 3]. A face larger than the output is first shrunk with an antialiasing filter, so the
    warp (bilinear) does not alias; parts outside the photo take its mean colour."""
    from PIL import Image

    image = np.asarray(image, np.uint8)
    landmarks = np.asarray(landmarks, np.float64)
    target = np.asarray(template["landmarks"], np.float64) * size
    m = similarity_transform(target, landmarks)  # output coordinates -> photo coordinates
    scale = float(np.sqrt(abs(np.linalg.det(m[:, :2]))))  # photo pixels per output pixel
    photo = Image.fromarray(image)
    if scale > 1.5:
        w, h = max(1, round(image.shape[1] / scale)), max(1, round(image.shape[0] / scale))
        photo = photo.resize((w, h), Image.Resampling.LANCZOS, reducing_gap=3.0)
        landmarks = landmarks * [w / image.shape[1], h / image.shape[0]]
        m = similarity_transform(target, landmarks)
    fill = tuple(int(v) for v in image.reshape(-1, 3).mean(0).round())
    out = photo.transform((size, size), Image.Transform.AFFINE, tuple(m.ravel()), Image.Resampling.BILINEAR,
                          fillcolor=fill)
    return np.asarray(out, np.uint8)


def central_square(photo: np.ndarray) -> np.ndarray:
    """The central square of uint8 [H, W, C], as the training pipeline crops it before resizing."""
    h, w = photo.shape[:2]
    s = min(h, w)
    return photo[(h - s) // 2:(h - s) // 2 + s, (w - s) // 2:(w - s) // 2 + s]


def model_pixels(image: np.ndarray, size: int, channels: int) -> np.ndarray:
    """uint8 [H, W, 3] -> uint8 [size, size, channels]: the central square, resized with antialiasing (Pillow's
    bilinear, a triangle filter widened when shrinking, as ``tf.image.resize(antialias=True)``) and made grey with
    the pipeline's weights. Within a level or two of ``zoo.data.transforms.model_input``, without TensorFlow."""
    from PIL import Image

    square = central_square(np.asarray(image, np.uint8))
    if square.shape[:2] != (size, size):
        square = np.asarray(Image.fromarray(square).resize((size, size), Image.Resampling.BILINEAR), np.uint8)
    if channels == 1:
        grey = square.astype(np.float32) @ np.asarray(GREY_WEIGHTS, np.float32)
        return np.clip(np.round(grey), 0, 255).astype(np.uint8)[..., None]
    if channels != 3:
        raise ValueError(f"a model reads 1 (greyscale) or 3 (RGB) channels, got {channels}")
    return square


@dataclasses.dataclass(frozen=True)
class Face:
    """One detected face: ``box`` (x, y, width, height) and ``landmarks`` float64 [5, 2] (x, y: eyes, nose, mouth
    corners, left/right as seen in the image) in continuous image coordinates (pixel i covers [i, i + 1)), and the
    detector's ``confidence``. Both MTCNN paths (``zoo.data.face_detector``, ``export.runtime_face``) return it."""

    box: tuple[float, float, float, float]
    landmarks: np.ndarray
    confidence: float

    @property
    def area(self) -> float:
        return self.box[2] * self.box[3]


def faces_from_rows(rows) -> list[Face]:
    """MTCNN's rows [N, 16] (index, x1, y1, x2, y2, score, 5 landmark x, 5 landmark y, in pixel indices: 0 = the
    first pixel's centre) as ``Face``s in continuous coordinates (+0.5), largest first."""
    faces = []
    for r in np.asarray(rows, np.float64).reshape(-1, 16):
        x1, y1, x2, y2 = r[1:5]
        faces.append(Face((float(x1), float(y1), float(x2 - x1), float(y2 - y1)),
                          np.stack([r[6:11], r[11:16]], axis=1) + 0.5, float(r[5])))
    return sorted(faces, key=lambda f: -f.area)
