"""The augmentation flags every GAN recipe shares, and their checks: plain Python, nothing heavy is imported, so
a bad value is refused before TensorFlow starts (``zoo.training.cli.validate_config``)."""

from __future__ import annotations

import dataclasses
from typing import Literal

AUGMENTS = ("none", "diffaugment", "ada")
# DiffAugment's groups (mit-han-lab/data-efficient-gans DiffAugment_tf.py AUGMENT_FNS)
POLICY_GROUPS = ("color", "translation", "cutout")
DEFAULT_POLICY = "color,translation,cutout"


@dataclasses.dataclass(frozen=True)
class AugmentOptions:
    """Fields of the GAN recipes' Configs: the augmentation of every image the discriminator sees (reals and
    fakes, in both the discriminator and the generator step). Default none, the papers' setups."""

    # none; diffaugment (Zhao et al. 2020: --diffaugment-policy on reals and fakes); ada (Karras et al. 2020:
    # flips, 90-degree rotations, integer translation and colour, each with a probability p tuned towards
    # --ada-target)
    augment: Literal["none", "diffaugment", "ada"] = "none"
    diffaugment_policy: str = DEFAULT_POLICY  # diffaugment: comma-separated groups of color, translation, cutout
    ada_target: float = 0.6  # ada: target of the overfitting heuristic r_t = E[sign(D(real))], in [-1, 1]
    ada_kimg: float = 500.0  # ada: thousands of real images for p to go from 0 to 1 at most


def parse_policy(text: str) -> tuple[str, ...]:
    """``"color,translation"`` -> ``("color", "translation")``; empty -> ``()`` (no augmentation). Raises a
    ValueError naming the flag, the unknown group and the known ones."""
    groups = tuple(g.strip() for g in str(text).split(",") if g.strip())
    unknown = [g for g in groups if g not in POLICY_GROUPS]
    if unknown:
        raise ValueError(f"--diffaugment-policy {text}: unknown group {unknown[0]!r}; expected a comma-separated "
                         f"list of {', '.join(POLICY_GROUPS)}")
    return groups


def check_augment_options(cfg) -> None:
    """The augmentation fields of ``cfg`` (if it has them) that a range alone cannot check."""
    if not hasattr(cfg, "augment"):
        return
    parse_policy(cfg.diffaugment_policy)


def make_augmenter(cfg):
    """The augmenter ``cfg`` asks for, seeded from ``cfg.seed`` (its own stream): None (``--augment none``),
    a ``DiffAugment`` or an ``ADA``. Imports TensorFlow."""
    from zoo.utils.random import derive_seed

    seed = derive_seed(cfg.seed, "augment")
    if cfg.augment == "diffaugment":
        from zoo.augment.diffaugment import DiffAugment

        return DiffAugment(cfg.diffaugment_policy, seed=seed, name="augment")
    if cfg.augment == "ada":
        from zoo.augment.ada import ADA

        return ADA(target=cfg.ada_target, kimg=cfg.ada_kimg, seed=seed, name="augment")
    return None


def describe_augment(cfg) -> str:
    """One ``--dry-run`` line saying what the discriminator sees."""
    if cfg.augment == "diffaugment":
        return f"augment: DiffAugment, policy {','.join(parse_policy(cfg.diffaugment_policy)) or '(empty: none)'}"
    if cfg.augment == "ada":
        return (f"augment: ADA (xflip, rotate90, int translation, brightness, contrast, luma flip, hue, saturation), "
                f"p from 0, tuned so that r_t nears {cfg.ada_target:g}, moving by at most 1 per {cfg.ada_kimg:g}k images")
    return "augment: none"
