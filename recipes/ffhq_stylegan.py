"""Progressive StyleGAN on FFHQ (Karras et al. 2019), on the raw photos or with the background made grey or blurred.

    python -m recipes.ffhq_stylegan --data-dir ~/data/ffhq --background raw
    python -m recipes.ffhq_stylegan --data-dir ~/data/ffhq --background grey     # needs ~/data/ffhq_rembg
    python -m recipes.ffhq_stylegan --data synthetic --resolutions 4,8,16 --images-per-level 16 --batch-size 4
    python -m recipes.ffhq_stylegan --data utkface --data-dir ../shared/data/utkface --resolutions 4,8,16,32,64

Every level is trained on the same number of images for each background variant (the comparison's fairness).
"""

from __future__ import annotations

import dataclasses
import sys
from typing import Literal

from zoo.training.progressive_run import ProgressiveOptions, describe_training, make_trainer, run_levels, schedule

NAME = "ffhq_stylegan"


@dataclasses.dataclass(frozen=True)
class Config(ProgressiveOptions):
    """StyleGAN (NVlabs stylegan, FFHQ): mapping 8 x 512, w 512, 4 -> 128 px progressive, 600k images per level
    (300k fade-in), Adam(1e-3, 0, 0.99, eps 1e-8), non-saturating logistic + R1 (gamma 10), [1, 2, 1] blur, style
    mixing 0.9, mirror augmentation, EMA half-life 10k images, truncation 0.7 on the first 8 layers for samples.
    Deviation kept as this background study's own choice: the inverse-sigmoid learning-rate decay within each level
    (--lr-sigmoid-slope 0 for the reference's constant rate)."""

    loss: Literal["wgan_gp", "logistic_r1", "logistic"] = "logistic_r1"
    ema_kimg: float = 10.0
    blur_filter: tuple[int, ...] = (1, 2, 1)  # G after each upsampling conv, D before each downsampling conv
    w_dim: int = 512  # size of the intermediate latent w
    mapping_layers: int = 8  # dense layers of the mapping network z -> w
    mapping_lr_multiplier: float = 0.01  # the mapping network's learning rate relative to --learning-rate
    style_mixing_prob: float = 0.9  # probability that a training batch mixes the styles of two latents
    truncation_psi: float = 0.7  # sample grids only
    truncation_cutoff: int = 8  # layers the truncation applies to (the reference's 8)


def build(cfg: Config):
    import keras

    from zoo.models.progan import ProGANDiscriminator
    from zoo.models.stylegan import StyleGANGenerator

    keras.utils.set_random_seed(cfg.seed)
    top = cfg.resolutions[-1]
    generator = StyleGANGenerator(cfg.latent_dim, cfg.w_dim, top, 3, cfg.mapping_layers, cfg.mapping_lr_multiplier,
                                  cfg.fmap_base, cfg.fmap_max, cfg.style_mixing_prob, seed=cfg.seed,
                                  blur_filter=cfg.blur_filter, name="generator")
    discriminator = ProGANDiscriminator(top, 3, cfg.fmap_base, cfg.fmap_max, cfg.mbstd_group_size,
                                        blur_filter=cfg.blur_filter, name="discriminator")
    return make_trainer(cfg, generator, discriminator)


def run(cfg: Config, run_dir: str, resume: bool = False, extra_callbacks=()):
    return run_levels(cfg, build, run_dir, resume, {"truncation_psi": cfg.truncation_psi,
                                                    "truncation_cutoff": cfg.truncation_cutoff,
                                                    "randomize_noise": False}, extra_callbacks)


def describe(cfg: Config):
    from zoo.training.progressive import describe_schedule

    return [*describe_schedule(schedule(cfg)),
            f"mapping network: {cfg.mapping_layers} layers {cfg.latent_dim} -> {cfg.w_dim} "
            f"(lr x {cfg.mapping_lr_multiplier:g}); mapping depth {cfg.mapping_layers}",
            f"blur filter: {list(cfg.blur_filter) or 'none'}; samples: truncation psi {cfg.truncation_psi:g} on the "
            f"first {cfg.truncation_cutoff} layers",
            f"background: {cfg.background}" + ("" if cfg.background == "raw" else
                                                " (foreground masks: synthetic labels or <data_dir>_rembg)"),
            *describe_training(cfg)]


def main(argv=None) -> int:
    from zoo.training.recipe import run_recipe

    return run_recipe(NAME, Config, run, argv, describe)


if __name__ == "__main__":
    sys.exit(main())
