"""FFHQ: a folder of PNG/JPEG images, searched recursively, at any resolution (e.g. the 128x128 thumbnails)."""

from __future__ import annotations

import os

from zoo.data.errors import SYNTHETIC_HINT, DatasetNotFoundError
from zoo.data.files import check_images, list_images
from zoo.data.source import ImageSource

LICENCE = "FFHQ: Creative Commons BY-NC-SA 4.0 (images under their own licences, see NVlabs/ffhq-dataset)"
HOW_TO_GET = ("Get FFHQ from https://github.com/NVlabs/ffhq-dataset (e.g. 'python download_ffhq.py --thumbs' "
              "for the 70,000 128x128 thumbnails) and pass the folder with --data-dir.")


def load_ffhq(data_dir: str) -> ImageSource:
    """All images under ``data_dir`` (recursive, sorted); corrupt files skipped and counted."""
    if not os.path.isdir(data_dir):
        raise DatasetNotFoundError(f"FFHQ folder not found: {data_dir}\n{HOW_TO_GET}\n{SYNTHETIC_HINT}")
    paths = list_images(data_dir)
    good, bad = check_images(paths, "FFHQ images")
    if not good:
        raise DatasetNotFoundError(f"no usable image under {data_dir} ({len(paths)} image files, {len(bad)} "
                                   f"corrupt)\n{HOW_TO_GET}\n{SYNTHETIC_HINT}")
    return ImageSource(name="ffhq", paths=[paths[i] for i in good], crop="square", skipped=len(bad),
                       info={"root": os.path.abspath(data_dir), "corrupt": len(bad), "licence": LICENCE})
