"""Real images and labels for the latent tools: a dataset split as float arrays, one photo file, label rules."""

from __future__ import annotations

import os
import re

import numpy as np

from zoo.latent.models import LatentError

AGE_BUCKETS = ((0, 19), (20, 39), (40, 59), (60, 200))


class NoFaceInPhoto(LatentError):
    """A photo in which face detection found no face (one photo: exit 2; several: a counted skip)."""


_RULE = re.compile(r"^([A-Za-z_0-9]+)\s*(>=|<=|==|=|>|<)?\s*(-?\d+(?:\.\d+)?)?$")


def load_images(data: str, data_dir: str | None = None, count: int = 256, image_size: int = 64,
                channels: int = 3, split: str = "test", seed: int = 0, num_synthetic: int = 2000):
    """``(images float32 [n, S, S, C] in [-1, 1], labels {name: [n]}, info)`` for ``count`` images of a dataset.

    ``split``: ``test`` takes the images of the presets' test part (``zoo.data.splits.preset_split``, whatever
    ``seed`` is: another seed must not move training faces into it), ``all`` any images; then ``count`` of them at
    random (seeded by ``seed``), in a fixed order.
    """
    from zoo.data import load_source, make_dataset
    from zoo.data.splits import PRESET_SPLIT, preset_split

    source = load_source(data, data_dir, image_size=image_size, num_synthetic=num_synthetic, seed=seed)
    n = len(source)
    if n == 0:
        raise LatentError(f"{data} ({data_dir}) has no images")
    if split not in ("test", "all"):
        raise LatentError(f"split must be test or all, got {split!r}")
    split = split if n >= 10 else "all"  # a split of under 10 images would leave a part empty
    pool = preset_split(n)["test"] if split == "test" else np.arange(n)
    rng = np.random.default_rng(seed + 1)
    idx = np.sort(rng.choice(pool, size=min(int(count), len(pool)), replace=False))
    sub = source.subset(idx)
    names = tuple(k for k, v in sub.labels.items() if np.ndim(v) == 1)
    ds = make_dataset(sub, image_size, 64, channels=channels, labels=names, shuffle=False, cache=False,
                      repeat=False, drop_remainder=False)
    images, labels = [], {k: [] for k in names}
    for batch in ds:
        x, y = batch if names else (batch, {})
        images.append(np.asarray(x))
        for k in names:
            labels[k].append(np.asarray(y[k]))
    info = {"dataset": data, "split": split, "split_seed": PRESET_SPLIT["seed"], "draw_seed": seed,
            "pool": int(len(pool)), "images": int(sum(len(x) for x in images)), "skipped": source.skipped}
    return np.concatenate(images), {k: np.concatenate(v) for k, v in labels.items()}, info


def real_images(args, gen=None):
    """``load_images`` for a latent command's ``--data/--data-dir/--count/--split/--seed``, at the generator's image
    size and channels (``gen``: a ``Generator``; without one, ``--image-size`` and 3 channels)."""
    size = gen.model.image_size if gen is not None and hasattr(gen.model, "image_size") else args.image_size
    channels = gen.model.channels if gen is not None and hasattr(gen.model, "channels") else 3
    return load_images(args.data, args.data_dir, args.count, size, channels, args.split, args.seed)


def read_photo(path: str, image_size: int, channels: int = 3, align: bool = True):
    """One photo file as a model reads it (``zoo.data.photo_input``, the path ``predict`` takes): its largest face
    aligned to the UTKFace template, or with ``align=False`` its central square, resized to ``image_size`` and
    ``channels``. Returns a ``PhotoFace`` (``.x`` [1, S, S, C] in [-1, 1], ``.record()`` for a report); a photo with
    several faces gives its largest, with a note. A missing or unreadable file, or no face found, is a LatentError
    naming the file."""
    from zoo.data.errors import DataError
    from zoo.data.photo_input import NoFaceError, read_photo as read

    if not os.path.isfile(path):
        raise LatentError(f"photo not found: {path}")
    try:
        found = read(path, image_size, channels, align)
        if found.faces_found > 1:
            print(f"note: {found.faces_found} faces in {path}; the largest is used")
        return found
    except NoFaceError as e:
        raise NoFaceInPhoto(str(e)) from None
    except DataError as e:
        raise LatentError(str(e)) from None


def load_photo(path: str, image_size: int, channels: int = 3, align: bool = True) -> np.ndarray:
    """One photo file -> [1, S, S, C] in [-1, 1] (``read_photo``'s ``.x``)."""
    return read_photo(path, image_size, channels, align).x


def load_photos(paths: list[str], image_size: int, channels: int = 3, align: bool = True, need: int | None = None,
                what: str = "--images"):
    """``(x [n, S, S, C], records, skipped)`` for several photo files: a photo without a face is a counted skip
    (said on stderr and listed in ``skipped``); with ``need``, fewer faces than that is a LatentError with the
    count. Unreadable or missing files are errors, as for one photo."""
    import sys

    from zoo.data.photo_input import NO_ALIGN_HINT

    xs, records, skipped = [], [], []
    for path in paths:
        try:
            read = read_photo(path, image_size, channels, align)
        except NoFaceInPhoto:
            skipped.append(path)
            print(f"skipped: no face found in {path}", file=sys.stderr)
            continue
        xs.append(read.x)
        records.append({"path": path, **read.record()})
    if need is not None and len(xs) < need:
        raise LatentError(f"no face found in {len(skipped)} of {len(paths)} {what} ({', '.join(skipped)}); "
                          f"this needs {need} faces ({NO_ALIGN_HINT.replace('its', 'each photo')})")
    if not xs:
        raise LatentError(f"no face found in any of the {len(paths)} {what} ({NO_ALIGN_HINT})")
    return np.concatenate(xs), records, skipped


def photo_caption(align: bool) -> str:
    """How a figure's photos were read, for its title."""
    return "photos: largest face aligned to UTKFace" if align else "photos: central square (--no-align)"


def label_rule(labels: dict, rule: str) -> np.ndarray:
    """Binary labels [N] from a rule on a label column: ``gender`` (non-zero), ``age>=40``, ``race=2``,
    ``Smiling`` (CelebA / synthetic columns)."""
    m = _RULE.match(rule.strip())
    if not m or m.group(1) not in labels:
        raise LatentError(f"label rule {rule!r}: expected NAME or NAME>=VALUE with NAME one of {sorted(labels)}")
    v = np.asarray(labels[m.group(1)], np.float64)
    op, value = m.group(2), m.group(3)
    if op is None:
        return v != 0
    t = float(value)
    return {">=": v >= t, "<=": v <= t, ">": v > t, "<": v < t, "=": v == t, "==": v == t}[op]


def age_bucket(ages) -> np.ndarray:
    """Index into AGE_BUCKETS for ages in years [N]."""
    ages = np.asarray(ages)
    return np.select([(ages >= lo) & (ages <= hi) for lo, hi in AGE_BUCKETS], np.arange(len(AGE_BUCKETS)), -1)
