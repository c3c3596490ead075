"""Progressive GAN on FFHQ (Karras et al. 2018): WGAN-GP + drift, equalized lr, pixel norm, minibatch stddev.

    python -m recipes.ffhq_progan --data-dir ~/data/ffhq
    python -m recipes.ffhq_progan --data synthetic --resolutions 4,8,16 --images-per-level 16 --batch-size 4
"""

from __future__ import annotations

import dataclasses
import sys

from zoo.training.progressive_run import ProgressiveOptions, describe_training, make_trainer, run_levels, schedule

NAME = "ffhq_progan"


@dataclasses.dataclass(frozen=True)
class Config(ProgressiveOptions):
    """ProGAN (NVlabs progressive_growing_of_gans): z 512, 4 -> 128 px, 800k images per level (half fade-in),
    Adam(1e-3, 0, 0.99, eps 1e-8) at a constant learning rate, WGAN-GP (10) + drift (0.001), minibatch stddev groups
    of 4, mirror augmentation, generator EMA 0.999."""

    images_per_level: int = 800_000
    lr_sigmoid_slope: float = 0.0  # constant, as the paper (the inverse sigmoid is the StyleGAN study's choice)
    batch_sizes: tuple[int, ...] = (128, 128, 128, 64, 32, 16)


def build(cfg: Config):
    import keras

    from zoo.models.progan import ProGANDiscriminator, ProGANGenerator

    keras.utils.set_random_seed(cfg.seed)
    top = cfg.resolutions[-1]
    generator = ProGANGenerator(cfg.latent_dim, top, 3, cfg.fmap_base, cfg.fmap_max, name="generator")
    discriminator = ProGANDiscriminator(top, 3, cfg.fmap_base, cfg.fmap_max, cfg.mbstd_group_size,
                                        name="discriminator")
    return make_trainer(cfg, generator, discriminator)


def run(cfg: Config, run_dir: str, resume: bool = False, extra_callbacks=()):
    return run_levels(cfg, build, run_dir, resume, {}, extra_callbacks)


def describe(cfg: Config):
    from zoo.training.progressive import describe_schedule

    return [*describe_schedule(schedule(cfg)), f"background: {cfg.background}", *describe_training(cfg)]


def main(argv=None) -> int:
    from zoo.training.recipe import run_recipe

    return run_recipe(NAME, Config, run, argv, describe)


if __name__ == "__main__":
    sys.exit(main())
