"""Progressive GAN on FFHQ (Karras et al. 2018): WGAN-GP + drift, equalized lr, pixel norm, minibatch stddev.

    python -m recipes.ffhq_progan --data-dir ~/data/ffhq
    python -m recipes.ffhq_progan --data synthetic --resolutions 4,8,16 --images-per-level 16 --batch-size 4
"""

from __future__ import annotations

import dataclasses
import sys
from typing import Literal

from zoo.training.cli import RunOptions

NAME = "ffhq_progan"


@dataclasses.dataclass(frozen=True)
class Config(RunOptions):
    """ProGAN: z 512, 4 -> 128 px, 800k images per level (half fade-in), Adam(1e-3, 0, 0.99), WGAN-GP (10) + drift
    (0.001), minibatch stddev groups of 4, generator EMA 0.999."""

    data: Literal["ffhq", "utkface", "celeba", "synthetic"] = "ffhq"
    data_dir: str | None = None
    background: Literal["raw", "grey", "blur"] = "raw"
    mask_dir: str | None = None
    resolutions: tuple[int, ...] = (4, 8, 16, 32, 64, 128)
    images_per_level: int = 800_000
    fade_fraction: float = 0.5
    batch_sizes: tuple[int, ...] = (128, 128, 128, 64, 32, 16)
    batch_size: int = 0
    latent_dim: int = 512
    fmap_base: int = 8192
    fmap_max: int = 512
    mbstd_group_size: int = 4
    loss: Literal["wgan_gp", "logistic_r1", "logistic"] = "wgan_gp"
    gp_weight: float = 10.0
    drift_weight: float = 0.001
    r1_gamma: float = 10.0
    learning_rate: float = 1e-3
    beta_1: float = 0.0
    beta_2: float = 0.99
    lr_sigmoid_slope: float = 6.0
    ema_decay: float = 0.999
    precision: Literal["float32", "mixed_float16", "mixed_bfloat16"] = "float32"
    num_synthetic: int = 256
    run_eagerly: bool = False
    epoch_steps: int = 1000
    num_samples: int = 16
    eval_extractor: str = ""  # FID/KID at the end of each level: "" off, "inception" (FID) or a preset/.keras (FD[name])
    eval_images: int = 2000  # real and generated images per level evaluation
    inception_weights: str | None = None  # InceptionV3 weights file; else $FACEZOO_INCEPTION_WEIGHTS or ~/.keras/models


def build(cfg: Config):
    import keras

    from recipes.ffhq_stylegan import make_trainer
    from zoo.models.progan import ProGANDiscriminator, ProGANGenerator

    keras.utils.set_random_seed(cfg.seed)
    top = cfg.resolutions[-1]
    generator = ProGANGenerator(cfg.latent_dim, top, 3, cfg.fmap_base, cfg.fmap_max, name="generator")
    discriminator = ProGANDiscriminator(top, 3, cfg.fmap_base, cfg.fmap_max, cfg.mbstd_group_size,
                                        name="discriminator")
    return make_trainer(cfg, generator, discriminator)


def run(cfg: Config, run_dir: str, resume: bool = False, extra_callbacks=()):
    from recipes.ffhq_stylegan import run_levels

    return run_levels(cfg, build, run_dir, resume, {}, extra_callbacks)


def describe(cfg: Config):
    from recipes.ffhq_stylegan import schedule
    from zoo.training.progressive import describe_schedule
    from zoo.training.setup import describe_optimizer

    return [*describe_schedule(schedule(cfg)), f"background: {cfg.background}",
            describe_optimizer("adam", cfg.learning_rate, cfg.beta_1, cfg.beta_2)
            + f", inverse-sigmoid decay per level (slope {cfg.lr_sigmoid_slope:g})",
            f"loss: {cfg.loss}", f"precision: {cfg.precision}"]


def main(argv=None) -> int:
    from zoo.training.recipe import run_recipe

    return run_recipe(NAME, Config, run, argv, describe)


if __name__ == "__main__":
    sys.exit(main())
