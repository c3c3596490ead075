"""Data layer: dataset loaders returning ``ImageSource`` and the shared tf.data pipeline ``make_dataset``."""

from __future__ import annotations

import os

from zoo.data.errors import DataError, DatasetNotFoundError
from zoo.utils.datasets import DATASETS
from zoo.data.pipeline import make_dataset
from zoo.data.source import ImageSource


def default_data_dir(name: str) -> str:
    """``$FACEZOO_DATA/<name>`` or ``./data/<name>``."""
    return os.path.join(os.environ.get("FACEZOO_DATA", "data"), name)


def load_source(name: str, data_dir: str | None = None, *, split: str = "train", image_size: int = 64,
                num_synthetic: int = 10_000, seed: int = 0, plain_background: bool = False) -> ImageSource:
    """Load a dataset by name: ``celeba``, ``utkface`` (folder or .csv), ``ffhq`` or ``synthetic``.

    ``synthetic`` renders ``num_synthetic`` faces at ``image_size`` (no download; ``data_dir`` ignored).
    """
    if name == "synthetic":
        from zoo.data.synthetic import render_faces

        faces = render_faces(0, num_synthetic, image_size, seed, plain_background=plain_background)
        labels = dict(faces.labels)
        labels["mask"] = faces.masks
        return ImageSource(name="synthetic", arrays=faces.images, labels=labels, crop="none",
                           info={"seed": seed, "plain_background": plain_background, "licence": "CC0 (generated)"})
    data_dir = data_dir or default_data_dir(name)
    if name == "celeba":
        from zoo.data.celeba import load_celeba

        return load_celeba(data_dir, split)
    if name == "utkface":
        from zoo.data.utkface import load_utkface

        return load_utkface(data_dir)
    if name == "ffhq":
        from zoo.data.ffhq import load_ffhq

        return load_ffhq(data_dir)
    raise DataError(f"unknown dataset {name!r}; expected one of {DATASETS}")


__all__ = ["DATASETS", "DataError", "DatasetNotFoundError", "ImageSource", "load_source", "make_dataset"]
