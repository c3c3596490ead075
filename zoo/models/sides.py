"""Image sides each architecture accepts, in plain Python: the models check them when built and the recipes'
Configs before TensorFlow starts (``zoo.training.cli.validate_config``), with the same sentence."""

from __future__ import annotations

import math


def doublings_from_4(image_size: int, what: str, at_least: int = 1) -> int:
    """k for ``image_size`` = 4 * 2^k, k >= ``at_least`` (DCGAN and its critics: 8, 16, 32, 64...)."""
    n = int(round(math.log2(max(image_size, 1) / 4)))
    if n < at_least or 4 * 2**n != image_size:
        sizes = ", ".join(str(4 * 2**k) for k in range(at_least, at_least + 5))
        raise ValueError(f"{what} image_size must be 4 * 2^k with k >= {at_least} ({sizes}...), got {image_size}")
    return n


def multiple_of(image_size: int, factor: int, what: str) -> int:
    """``image_size`` / ``factor`` for a positive multiple of ``factor`` (the VAEs' and the upsample-conv GAN's
    stride-2 stacks)."""
    if image_size < factor or image_size % factor:
        sizes = ", ".join(str(factor * k) for k in range(1, 5))
        raise ValueError(f"{what} image_size must be a positive multiple of {factor}, got {image_size} ({sizes}...)")
    return image_size // factor
