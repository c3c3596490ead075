"""Adjusted FID of the background-removal paper: FID_raw * (1 - r).

r is the mean reduction in encoded image size of the background-removed set against the raw set, measured
here from the files (or from PNG encodings of in-memory images), not taken as the paper's constant 0.16.
"""

from __future__ import annotations

import io
import os

import numpy as np


def encoded_sizes(images_or_paths) -> np.ndarray:
    """Bytes per image: file sizes for a folder or a list of paths; PNG-encoded sizes for uint8 arrays [N, H, W, C]."""
    if isinstance(images_or_paths, str):
        from zoo.data.files import list_images

        if not os.path.isdir(images_or_paths):
            raise ValueError(f"not a folder of images: {images_or_paths}")
        images_or_paths = list_images(images_or_paths)
        if not images_or_paths:
            raise ValueError("no .jpg/.jpeg/.png file in the folder given for the encoded-size reduction")
    if isinstance(images_or_paths, (list, tuple)):
        return np.array([os.path.getsize(p) for p in images_or_paths], np.float64)
    from PIL import Image

    arr = np.asarray(images_or_paths)
    if arr.dtype != np.uint8 or arr.ndim != 4:
        raise ValueError(f"expected uint8 images [N, H, W, C], got {arr.dtype} {arr.shape}")
    sizes = []
    for img in arr:
        buf = io.BytesIO()
        Image.fromarray(img[..., 0] if img.shape[-1] == 1 else img).save(buf, format="PNG")
        sizes.append(buf.tell())
    return np.array(sizes, np.float64)


def size_reduction(raw, removed) -> float:
    """r = 1 - mean encoded size of ``removed`` / mean encoded size of ``raw`` (each a folder, paths or images)."""
    raw_sizes, removed_sizes = encoded_sizes(raw), encoded_sizes(removed)
    if not len(raw_sizes) or not len(removed_sizes):
        raise ValueError("both image sets must be non-empty")
    return float(1.0 - removed_sizes.mean() / raw_sizes.mean())


def adjusted_fid(fid_raw: float, reduction: float) -> float:
    """FID_raw * (1 - r) with r the measured size reduction (in [0, 1); negative if the removed set is larger)."""
    if not reduction < 1.0:
        raise ValueError(f"size reduction must be below 1, got {reduction}")
    return float(fid_raw) * (1.0 - float(reduction))
