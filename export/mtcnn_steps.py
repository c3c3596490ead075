"""MTCNN's image and box arithmetic in numpy, step for step as the ``mtcnn`` 1.0.0 package (MIT licence, Iván de
Paz Centeno) runs it around its three networks, so that ``export.runtime_face`` finds the boxes and landmarks the
TensorFlow detector (``zoo.data.face_detector``) finds, without TensorFlow.

Boxes are rows ``[image_id, x1, y1, x2, y2, confidence]`` (then 10 landmark columns: five x, five y) in pixel
indices, as in the package. Its quirks are kept on purpose: a PNet cell spans [2i + 1, 2i + 12], box sizes are
``x2 - x1 + 1`` when offsets are applied, and its NMS drops a box that overlaps any higher-scored box, kept or not.
"""

from __future__ import annotations

import numpy as np

PNET_STRIDE, PNET_CELL = 2, 12


def scale_pyramid(width: int, height: int, min_face_size: float, scale_factor: float,
                  min_size: int = 12) -> np.ndarray:
    """The scales at which PNet reads an image (``mtcnn.utils.images.build_scale_pyramid``): float64 [K]."""
    count = round(-((np.log(min(width, height) / min_size) / np.log(scale_factor)) + 1))
    return (min_size / min_face_size) * scale_factor ** np.arange(max(count, 0))


def _area_taps(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """TensorFlow's area resize along one axis (ResizeArea, align_corners=False) as taps: input indices [n_out, K]
    and float32 weights [n_out, K]; output cell y averages the input cells that [y, y + 1) x n_in / n_out covers,
    in proportion to the covered length (K: the most cells one output covers)."""
    scale = n_in / n_out
    lo, hi = np.arange(n_out) * scale, np.arange(1, n_out + 1) * scale
    start = np.floor(lo).astype(np.int64)
    cells = start[:, None] + np.arange(int(np.max(np.ceil(hi) - start)))
    cover = np.clip(np.minimum(cells + 1, hi[:, None]) - np.maximum(cells, lo[:, None]), 0, None)
    return np.clip(cells, 0, n_in - 1), (cover / scale).astype(np.float32)


def resize_area(image: np.ndarray, scale: float) -> np.ndarray:
    """float32 [H, W, C] resized to ``int(H * scale) x int(W * scale)`` as ``tf.image.resize(method="area")``
    resizes it (the sizes truncated, as TensorFlow casts the package's float shape). Rows then columns, each a
    weighted sum of a few taps: linear in the image's size."""
    h, w = image.shape[:2]
    cells, weights = _area_taps(h, int(h * scale))
    rows = np.einsum("yk,ykwc->ywc", weights, image[cells])
    cells, weights = _area_taps(w, int(w * scale))
    return np.ascontiguousarray(np.einsum("xk,yxkc->yxc", weights, rows[:, cells]), np.float32)


def crop_and_resize(image: np.ndarray, boxes: np.ndarray, size: int) -> np.ndarray:
    """float32 [N, size, size, C]: each box ``[x1, y1, x2, y2]`` (pixel indices) of ``image`` [H, W, C] resampled
    bilinearly, as ``mtcnn.utils.images.extract_patches`` does with ``tf.image.crop_and_resize`` (boxes divided by
    the image's side, sampled over ``side - 1``; samples outside the image are 0)."""
    h, w, c = image.shape
    out = np.zeros((len(boxes), size, size, c), np.float32)
    steps = np.arange(size, dtype=np.float64)
    for k, (x1, y1, x2, y2) in enumerate(np.asarray(boxes, np.float64)):
        ys = (y1 / h) * (h - 1) + steps * ((y2 - y1) / h) * (h - 1) / (size - 1)
        xs = (x1 / w) * (w - 1) + steps * ((x2 - x1) / w) * (w - 1) / (size - 1)
        y_in, x_in = (ys >= 0) & (ys <= h - 1), (xs >= 0) & (xs <= w - 1)
        ys, xs = ys[y_in], xs[x_in]
        top, left = np.floor(ys).astype(int), np.floor(xs).astype(int)
        bottom, right = np.ceil(ys).astype(int), np.ceil(xs).astype(int)
        dy, dx = (ys - top)[:, None, None], (xs - left)[None, :, None]
        upper = image[top][:, left] + (image[top][:, right] - image[top][:, left]) * dx
        lower = image[bottom][:, left] + (image[bottom][:, right] - image[bottom][:, left]) * dx
        out[k][np.ix_(y_in, x_in)] = upper + (lower - upper) * dy
    return out


def sort_by_score(boxes: np.ndarray, column: int = 5) -> np.ndarray:
    """Rows by descending score, ties in the package's order (numpy's argsort, reversed)."""
    return boxes[np.argsort(boxes[:, column])[::-1]]


def pnet_boxes(regression: np.ndarray, probability: np.ndarray, scale: float, threshold: float) -> np.ndarray:
    """Boxes [N, 6] in image pixels from PNet's outputs at one scale (``regression`` [h, w, 4], ``probability``
    [h, w, 2]) where the face probability exceeds ``threshold``, best first."""
    score = probability[:, :, 1]
    ys, xs = np.where(score > threshold)
    dx1, dy1, dx2, dy2 = regression[ys, xs].T
    x1, y1 = xs * PNET_STRIDE + 1, ys * PNET_STRIDE + 1
    x2, y2 = xs * PNET_STRIDE + PNET_CELL, ys * PNET_STRIDE + PNET_CELL
    side_x, side_y = x2 - x1, y2 - y1
    boxes = np.stack([np.zeros(len(xs)), x1 + dx1 * side_x, y1 + dy1 * side_y, x2 + dx2 * side_x,
                      y2 + dy2 * side_y, score[ys, xs]], axis=1).astype(np.float64)
    boxes = sort_by_score(boxes)
    boxes[:, 1:5] /= scale
    return boxes


def iou(boxes: np.ndarray, method: str = "union") -> np.ndarray:
    """[N, N] overlap of boxes ``[x1, y1, x2, y2]``: intersection over union, or over the smaller area."""
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    a, b = boxes[None], boxes[:, None]
    inter = (np.maximum(0, np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]))
             * np.maximum(0, np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1])))
    if method == "union":
        denominator = area[:, None] + area[None, :] - inter
    elif method == "min":
        denominator = np.minimum(area[:, None], area[None, :])
    else:
        raise ValueError(f"method must be 'union' or 'min', got {method!r}")
    with np.errstate(divide="ignore", invalid="ignore"):
        return inter / denominator


def nms(boxes: np.ndarray, threshold: float, method: str = "union", sort: bool = True) -> np.ndarray:
    """The rows of ``boxes`` that overlap no higher-scored row by more than ``threshold`` (the package's NMS:
    a row overlapping a suppressed row is suppressed too)."""
    if len(boxes) == 0:
        return boxes
    if sort:
        boxes = sort_by_score(boxes)
    overlap = (iou(boxes[:, 1:5], method) > threshold) & np.triu(np.ones((len(boxes),) * 2, bool), k=1)
    return boxes[~overlap.any(axis=0)]


def to_square(boxes: np.ndarray) -> np.ndarray:
    """Boxes grown to squares of their longer side about their centres."""
    boxes = boxes.copy()
    w, h = boxes[:, 3] - boxes[:, 1], boxes[:, 4] - boxes[:, 2]
    side = np.maximum(w, h)
    boxes[:, 1] += w * 0.5 - side * 0.5
    boxes[:, 2] += h * 0.5 - side * 0.5
    boxes[:, 3] = boxes[:, 1] + side
    boxes[:, 4] = boxes[:, 2] + side
    return boxes


def refine(boxes: np.ndarray, offsets: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Boxes with a network's face probability (``scores`` [N, 2]) and its offsets ([N, 4], fractions of the
    box's ``x2 - x1 + 1`` side) applied."""
    boxes = boxes.copy()
    boxes[:, 5] = scores[:, -1]
    w, h = boxes[:, 3] - boxes[:, 1] + 1, boxes[:, 4] - boxes[:, 2] + 1
    boxes[:, 1:5] += offsets * np.stack([w, h, w, h], axis=-1)
    return boxes


def landmarks_in_image(points: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """ONet's landmarks ([N, 10]: five x then five y, fractions of the box) in image pixel indices."""
    w, h = boxes[:, 3:4] - boxes[:, 1:2] + 1, boxes[:, 4:5] - boxes[:, 2:3] + 1
    return np.concatenate([w * points[:, :5] + boxes[:, 1:2] - 1, h * points[:, 5:] + boxes[:, 2:3] - 1], axis=1)


def clip_to_image(boxes: np.ndarray, height: int, width: int) -> np.ndarray:
    """Box corners clipped to the image's pixel indices (landmarks left as they are, as the package leaves them)."""
    boxes = boxes.copy()
    boxes[:, [1, 3]] = np.clip(boxes[:, [1, 3]], 0, width - 1)
    boxes[:, [2, 4]] = np.clip(boxes[:, [2, 4]], 0, height - 1)
    return boxes
