"""Listing and checking image files before they reach tf.data.

A corrupt file inside a tf.data map crashes the whole run deep in TensorFlow, so files are checked up front:
a cheap test of the format's first and last bytes (a truncated JPEG lacks its end marker, a PNG its IEND
chunk) in a thread pool. Bad files are skipped and counted; anything that still fails to decode later is
dropped by the pipeline's ``ignore_errors`` with a logged warning.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")


def list_images(root: str, recursive: bool = True) -> list[str]:
    """All files under ``root`` whose names end in .jpg/.jpeg/.png (any case), sorted."""
    out = []
    if recursive:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            out.extend(os.path.join(dirpath, f) for f in filenames if f.lower().endswith(IMAGE_EXTENSIONS))
    else:
        out = [os.path.join(root, f) for f in os.listdir(root) if f.lower().endswith(IMAGE_EXTENSIONS)]
    return sorted(out)


def looks_like_image(path: str) -> bool:
    """True when ``path`` starts and ends like a complete JPEG or PNG file."""
    try:
        with open(path, "rb") as f:
            head = f.read(8)
            f.seek(0, os.SEEK_END)
            size = f.tell()
            if size < 32:
                return False
            f.seek(max(size - 64, 0))
            tail = f.read()
    except OSError:
        return False
    if head[:3] == b"\xff\xd8\xff":
        # Some writers pad after the end marker; look for it in the last bytes.
        return b"\xff\xd9" in tail
    if head == b"\x89PNG\r\n\x1a\n":
        return b"IEND" in tail
    return False


def check_images(paths: list[str], what: str = "images") -> tuple[list[int], list[str]]:
    """Indices of the usable files in ``paths`` and the list of skipped ones (a warning is logged once)."""
    with ThreadPoolExecutor(16) as pool:
        ok = list(pool.map(looks_like_image, paths, chunksize=256))
    good = [i for i, k in enumerate(ok) if k]
    bad = [p for p, k in zip(paths, ok) if not k]
    if bad:
        log.warning("skipped %d unreadable or corrupt %s (for example %s)", len(bad), what, bad[0])
    return good, bad
