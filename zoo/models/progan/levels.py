"""Level arithmetic shared by the progressive GANs: level k works at 4 * 2^k pixels."""

from __future__ import annotations

import math


def num_levels(resolution: int) -> int:
    """Number of levels up to ``resolution`` (4 -> 1, 8 -> 2, ..., 1024 -> 9)."""
    n = int(round(math.log2(max(resolution, 1) / 4)))
    if resolution < 4 or 4 * 2**n != resolution:
        raise ValueError(f"resolution must be 4 * 2^k (4, 8, 16, ..., 1024), got {resolution}")
    return n + 1


def level_resolution(level: int) -> int:
    return 4 * 2**level


def level_of(resolution: int) -> int:
    return num_levels(resolution) - 1


def level_filters(level: int, fmap_base: int, fmap_max: int) -> int:
    """Feature maps at ``level``: ``min(fmap_max, 2 * fmap_base / resolution)`` (at least 1), the schedule of
    ProGAN/StyleGAN (fmap_base 8192, fmap_max 512: 512 up to 32 px, then halving)."""
    return max(1, min(fmap_max, 2 * fmap_base // level_resolution(level)))


def check_level(level, count: int, what: str) -> int:
    """``level`` (None = the last one) as an int in [0, count)."""
    if level is None:
        return count - 1
    if not isinstance(level, int) or not 0 <= level < count:
        raise ValueError(f"{what}: level must be an int in [0, {count - 1}] (resolutions 4..{level_resolution(count - 1)}"
                         f" px), got {level!r}")
    return level
