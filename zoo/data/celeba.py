"""CelebA: the official aligned folder layout, or TFDS ``celeb_a`` when prepared in a TFDS data dir.

Folder layout (``--data-dir ROOT``)::

    ROOT/img_align_celeba/000001.jpg ...   (178x218 aligned faces)
    ROOT/list_attr_celeba.txt              (count, 40 attribute names, one row of +-1 per image)
    ROOT/list_eval_partition.txt           (file and split: 0 train, 1 valid, 2 test)

The 40 attributes are exposed as 0/1 labels under their CelebA names.
"""

from __future__ import annotations

import logging
import os

import numpy as np

from zoo.data.errors import SYNTHETIC_HINT, DataError, DatasetNotFoundError
from zoo.data.files import check_images
from zoo.data.source import ImageSource
from zoo.data.synthetic import CELEBA_ATTRIBUTES

log = logging.getLogger(__name__)

LICENCE = "CelebA: non-commercial research purposes only (http://mmlab.ie.cuhk.edu.hk/projects/CelebA.html)"
SPLITS = {"train": 0, "valid": 1, "validation": 1, "test": 2, "all": None}
HOW_TO_GET = """\
CelebA is not downloaded automatically (Google Drive quotas). Either:
  1. Folder layout: download 'img_align_celeba.zip', 'list_attr_celeba.txt' and 'list_eval_partition.txt'
     from http://mmlab.ie.cuhk.edu.hk/projects/CelebA.html (Align&Cropped Images, Anno, Eval), unzip so that
     ROOT/img_align_celeba/000001.jpg, ROOT/list_attr_celeba.txt and ROOT/list_eval_partition.txt exist,
     and pass --data-dir ROOT.
  2. TFDS: put the same files in ~/tensorflow_datasets/downloads/manual/ and run
     python -c "import tensorflow_datasets as tfds; tfds.builder('celeb_a').download_and_prepare()"
     then pass --data-dir ~/tensorflow_datasets (the TFDS data dir)."""


def _read_lines(path: str, what: str) -> list[str]:
    try:
        with open(path, encoding="ascii") as f:
            return f.read().splitlines()
    except UnicodeDecodeError as e:
        raise DataError(f"{path}: not a text file (byte {e.start} is {e.object[e.start:e.start + 1]!r}); expected "
                        f"CelebA's {what}") from e


def parse_attributes(path: str) -> tuple[list[str], np.ndarray]:
    """Parse ``list_attr_celeba.txt``: file names and a [N, 40] int8 array of 0/1 in ``CELEBA_ATTRIBUTES`` order.

    The first line is the number of rows; a file with fewer or more rows (cut short by a download) is an error."""
    lines = _read_lines(path, "list_attr_celeba.txt (a count line, 40 names, one row of 1/-1 values per image)")
    if len(lines) < 2:
        raise DataError(f"{path}: expected a count line and an attribute-name line, found {len(lines)} lines")
    if not lines[0].strip().isdigit():
        raise DataError(f"{path}:1: expected the number of images, found {lines[0][:80]!r}")
    count = int(lines[0])
    names = lines[1].split()
    if sorted(names) != sorted(CELEBA_ATTRIBUTES):
        raise DataError(f"{path}:2: expected the 40 CelebA attribute names, found {len(names)} names "
                        f"starting {names[:3]}")
    order = [names.index(a) for a in CELEBA_ATTRIBUTES]
    files, rows = [], []
    for lineno, line in enumerate(lines[2:], start=3):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 41 or any(v not in ("1", "-1") for v in parts[1:]):
            raise DataError(f"{path}:{lineno}: expected a file name and 40 values of 1 or -1, found {line[:80]!r}")
        files.append(parts[0])
        rows.append([parts[1 + i] == "1" for i in order])
    if len(files) != count:
        raise DataError(f"{path}:{len(lines) + 1 if len(files) < count else 1}: the count line says {count} rows "
                        f"but the file has {len(files)}" + (" (cut short?)" if len(files) < count else ""))
    return files, np.asarray(rows, np.int8).reshape(-1, 40)


def parse_partition(path: str) -> dict[str, int]:
    """Parse ``list_eval_partition.txt`` into {file name: split code}."""
    out = {}
    for lineno, line in enumerate(_read_lines(path, "list_eval_partition.txt ('<file> <0|1|2>' lines)"), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2 or parts[1] not in ("0", "1", "2"):
            raise DataError(f"{path}:{lineno}: expected '<file> <0|1|2>', found {line.strip()[:80]!r}")
        out[parts[0]] = int(parts[1])
    return out


def load_celeba(data_dir: str, split: str = "train") -> ImageSource:
    """CelebA from the folder layout under ``data_dir`` or, failing that, TFDS ``celeb_a`` in ``data_dir``."""
    if split not in SPLITS:
        raise ValueError(f"unknown CelebA split {split!r}; expected one of {sorted(SPLITS)}")
    if os.path.isdir(os.path.join(data_dir, "img_align_celeba")):
        return _load_folder(data_dir, split)
    tfds_source = _load_tfds(data_dir, split)
    if tfds_source is not None:
        return tfds_source
    raise DatasetNotFoundError(
        f"CelebA not found in {data_dir}: no {os.path.join(data_dir, 'img_align_celeba')} folder and no prepared "
        f"TFDS 'celeb_a' there.\n{HOW_TO_GET}\n{SYNTHETIC_HINT}")


def _load_folder(root: str, split: str) -> ImageSource:
    attr_path = os.path.join(root, "list_attr_celeba.txt")
    part_path = os.path.join(root, "list_eval_partition.txt")
    for p in (attr_path, part_path):
        if not os.path.isfile(p):
            raise DatasetNotFoundError(f"CelebA label file missing: {p}\n{HOW_TO_GET}")
    files, attrs = parse_attributes(attr_path)
    partition = parse_partition(part_path)
    want = SPLITS[split]
    keep = [i for i, f in enumerate(files) if want is None or partition.get(f) == want]
    paths = [os.path.join(root, "img_align_celeba", files[i]) for i in keep]
    good, bad = check_images(paths, "CelebA images")
    if not good:
        raise DatasetNotFoundError(f"no usable CelebA image for split {split!r} under {root} "
                                   f"({len(paths)} listed, {len(bad)} missing or corrupt)\n{HOW_TO_GET}")
    rows = attrs[keep][good]
    return ImageSource(
        name="celeba", paths=[paths[i] for i in good],
        labels={a: rows[:, j].astype(np.int32) for j, a in enumerate(CELEBA_ATTRIBUTES)},
        crop="center178", skipped=len(bad),
        info={"root": os.path.abspath(root), "split": split, "corrupt_or_missing": len(bad), "licence": LICENCE},
    )


def _load_tfds(data_dir: str, split: str) -> ImageSource | None:
    try:
        import tensorflow_datasets as tfds
    except ImportError:
        return None
    import tensorflow as tf
    builder = tfds.builder("celeb_a", data_dir=data_dir)
    if not builder.is_prepared():
        return None
    tfds_split = {"valid": "validation", "all": "train+validation+test"}.get(split, split)
    try:
        n = sum(builder.info.splits[s].num_examples for s in tfds_split.split("+"))
    except KeyError:
        n = None  # split sizes unknown: the training loop then needs --steps

    def dataset_fn():
        ds = builder.as_dataset(split=tfds_split, shuffle_files=False)
        return ds.map(lambda d: {"image": d["image"],
                                 **{a: tf.cast(d["attributes"][a], tf.int32) for a in CELEBA_ATTRIBUTES}})

    return ImageSource(name="celeba", dataset_fn=dataset_fn, num_examples=n, crop="center178",
                       labels={}, info={"tfds_dir": builder.data_dir, "split": split, "licence": LICENCE})
