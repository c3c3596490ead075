"""The seeded train / validation / test split of a dataset, and its record in a run folder (split.json, split.csv).

The classifier recipe, the VAE grid and ``zoo.latent`` all hold out the same test images through ``split_indices``.
"""

from __future__ import annotations

import os

# The split every preset trains on with --train-on train and every tool reads its held-out faces from:
# validation to choose checkpoints and thresholds, test to report. A tool's own --seed never changes it.
PRESET_SPLIT = {"seed": 0, "proportions": (0.7, 0.2, 0.1)}


def split_indices(n: int, proportions=(0.7, 0.2, 0.1), seed: int = 0) -> dict:
    """A random partition of ``range(n)`` into train / validation / test with the given proportions (summing to
    1); sizes are rounded down for train and validation, the test set takes the rest. Same seed, same split.

    Returns ``{"train": int64 [n_train], "validation": [...], "test": [...]}`` (each sorted).
    """
    import numpy as np

    p = tuple(float(x) for x in proportions)
    if len(p) != 3 or min(p) < 0 or abs(sum(p) - 1.0) > 1e-6:
        raise ValueError(f"split must be three non-negative proportions summing to 1, got {proportions}")
    order = np.random.default_rng(seed).permutation(n)
    n_train, n_val = int(n * p[0]), int(n * p[1])
    parts = {"train": order[:n_train], "validation": order[n_train:n_train + n_val], "test": order[n_train + n_val:]}
    for name, idx in parts.items():
        if len(idx) == 0:
            raise ValueError(f"the {name} split of {n} images with proportions {p} is empty; use more images")
    return {k: np.sort(v) for k, v in parts.items()}


def preset_split(n: int) -> dict:
    """``split_indices`` of ``n`` images under ``PRESET_SPLIT``: the presets' train / validation / test parts."""
    return split_indices(n, PRESET_SPLIT["proportions"], PRESET_SPLIT["seed"])


def split_seed(cfg) -> int:
    """The seed of the train/validation/test split: ``cfg.split_seed``, or ``cfg.seed`` when that is -1."""
    return cfg.seed if cfg.split_seed < 0 else cfg.split_seed


def write_split(run_dir: str, source, parts: dict, cfg) -> dict:
    """Record the split ``parts`` of ``source`` in ``run_dir``: split.json (seed, proportions ``cfg.split``, counts)
    and split.csv (index, file, split per image). A run folder that already records another split (a resume on
    changed data) is a ValueError. Returns the split.json record."""
    import csv

    from zoo.utils.io import atomic_path, read_json, write_json

    info = {"seed": split_seed(cfg), "proportions": list(cfg.split), "counts": {k: int(len(v)) for k, v in parts.items()},
            "num_images": len(source), "skipped_files": int(source.skipped)}
    path = os.path.join(run_dir, "split.json")
    if os.path.isfile(path):
        stored = read_json(path)
        if stored["counts"] != info["counts"] or stored["seed"] != info["seed"]:
            raise ValueError(f"{path} records a different split ({stored['counts']}, seed {stored['seed']}) from "
                             f"the data now ({info['counts']}, seed {info['seed']}); start a new run")
    write_json(path, info)
    names = ([os.path.basename(p) for p in source.paths] if source.paths is not None
             else [f"#{i}" for i in range(len(source))])
    with atomic_path(os.path.join(run_dir, "split.csv")) as tmp, open(tmp, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["index", "file", "split"])
        rows = sorted((int(i), part) for part, idx in parts.items() for i in idx)
        for i, part in rows:
            w.writerow([i, names[i], part])
    return info
