"""Image grids and PNG writing (numpy and Pillow only, outside any model's call)."""

from __future__ import annotations

import numpy as np

from zoo.utils.io import atomic_path


def to_uint8(images) -> np.ndarray:
    """float images in [-1, 1] -> uint8 [0, 255] (rounded as a PNG writer would); uint8 passes through."""
    arr = np.asarray(images)
    if arr.dtype == np.uint8:
        return arr
    return np.clip(np.round((arr.astype(np.float32) + 1.0) * 127.5), 0, 255).astype(np.uint8)


def make_grid(images, cols: int | None = None, pad: int = 2, pad_value: int = 255) -> np.ndarray:
    """Tile images [N, H, W, C] (uint8, or float in [-1, 1]) into one [rows*H, cols*W, 3] uint8 image."""
    imgs = to_uint8(images)
    if imgs.ndim == 3:
        imgs = imgs[..., None]
    if imgs.shape[-1] == 1:
        imgs = np.repeat(imgs, 3, axis=-1)
    n, h, w, c = imgs.shape
    cols = cols or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    grid = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad, c), pad_value, np.uint8)
    for i in range(n):
        r, k = divmod(i, cols)
        grid[pad + r * (h + pad): pad + r * (h + pad) + h, pad + k * (w + pad): pad + k * (w + pad) + w] = imgs[i]
    return grid


def save_png(path: str, image: np.ndarray, min_size: int = 256) -> None:
    """Write an [H, W, 3] uint8 image as PNG, atomically; small grids are enlarged (nearest) to ``min_size``."""
    from PIL import Image

    img = Image.fromarray(np.asarray(image))
    scale = max(1, min_size // max(img.size))
    if scale > 1:
        img = img.resize((img.size[0] * scale, img.size[1] * scale), Image.NEAREST)
    with atomic_path(path) as tmp:
        img.save(tmp, format="PNG")


def save_grid(path: str, images, cols: int | None = None) -> None:
    save_png(path, make_grid(images, cols))
