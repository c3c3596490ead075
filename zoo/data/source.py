"""ImageSource: what a dataset loader returns, before the shared tf.data pipeline takes over."""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np
import tensorflow as tf


@dataclasses.dataclass
class ImageSource:
    """Images and their labels, in one of three forms.

    - ``paths``: encoded JPEG/PNG files, decoded in parallel by the pipeline;
    - ``arrays``: in-memory uint8 images [N, H, W, C] (the Kaggle UTKFace CSV, the synthetic set);
    - ``dataset_fn``: a function returning a ``tf.data.Dataset`` of dicts with an ``image`` (uint8 [H, W, C])
      and the labels (TFDS CelebA).

    ``labels`` maps a name to an [N] array aligned with ``paths``/``arrays``. ``crop`` names the crop the
    pipeline applies before resizing (see ``transforms.crop``); ``skipped`` counts files dropped while loading
    (malformed names, corrupt files); ``info`` is free-form provenance (root folder, split, licence).
    """

    name: str
    labels: dict = dataclasses.field(default_factory=dict)
    paths: list | None = None
    arrays: np.ndarray | None = None
    dataset_fn: Callable[[], tf.data.Dataset] | None = None
    num_examples: int | None = None
    crop: str = "none"
    skipped: int = 0
    info: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        forms = sum(x is not None for x in (self.paths, self.arrays, self.dataset_fn))
        if forms != 1:
            raise ValueError("an ImageSource has exactly one of paths, arrays or dataset_fn")
        if self.num_examples is None:
            self.num_examples = len(self.paths) if self.paths is not None else (
                len(self.arrays) if self.arrays is not None else None)
        for k, v in self.labels.items():
            if self.num_examples is not None and len(v) != self.num_examples:
                raise ValueError(f"label {k!r} has {len(v)} values for {self.num_examples} images")

    def __len__(self) -> int:
        return int(self.num_examples or 0)

    def subset(self, indices) -> "ImageSource":
        """The examples at ``indices`` (for splits); not available for ``dataset_fn`` sources."""
        if self.dataset_fn is not None:
            raise ValueError(f"{self.name}: a streamed source cannot be indexed; use its split argument")
        idx = np.asarray(indices, np.int64)
        return dataclasses.replace(
            self,
            paths=[self.paths[i] for i in idx] if self.paths is not None else None,
            arrays=self.arrays[idx] if self.arrays is not None else None,
            labels={k: np.asarray(v)[idx] for k, v in self.labels.items()},
            num_examples=len(idx),
        )
