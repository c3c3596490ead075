"""DCGAN on CelebA 64x64 (Radford et al. 2016; the DCGAN-vs-VAE comparison's setup).

    python -m recipes.celeba_dcgan --data-dir ~/data/celeba
    python -m recipes.celeba_dcgan --data synthetic --epochs 5        # no download
    python -m recipes.celeba_dcgan --data utkface --data-dir ../shared/data/utkface
"""

from __future__ import annotations

import dataclasses
import sys
from typing import Literal

from zoo.augment.options import AugmentOptions
from zoo.training.cli import GeneratorEMAOptions, RunOptions
from zoo.training.init_from import InitFromOptions

NAME = "celeba_dcgan"


@dataclasses.dataclass(frozen=True)
class Config(InitFromOptions, GeneratorEMAOptions, AugmentOptions, RunOptions):
    """DCGAN: z = 100, 64x64, batch 128, Adam(2e-4, beta_1 = 0.5), binary cross-entropy, 60 epochs."""

    # training images (synthetic: rendered faces, no download)
    data: Literal["celeba", "utkface", "ffhq", "synthetic"] = "celeba"
    data_dir: str | None = None  # dataset folder (UTKFace: or its .csv); default $FACEZOO_DATA/<data>, else data/<data>
    image_size: int = 64  # training image side, pixels
    latent_dim: int = 100  # size of the latent vector z
    base_filters: int = 64  # convolution filters at full resolution, doubled at each halving
    batch_size: int = 128  # images per training step
    epochs: int = 60  # passes over the training images
    steps: int = 0  # cap on total steps; 0 = epochs * steps per epoch
    time_budget: float = 0.0  # minutes of training, summed over resumes; 0 = no limit (equal-compute comparisons)
    optimizer: Literal["adam", "rmsprop", "sgd"] = "adam"  # optimizer of both networks (--beta-1/--beta-2: Adam only)
    learning_rate: float = 2e-4  # optimizer step size
    beta_1: float = 0.5  # Adam's first-moment decay
    beta_2: float = 0.999  # Adam's second-moment decay

    def validate(self) -> None:
        """The architecture's image sides, checked before TensorFlow starts (``zoo.training.cli.validate_config``)."""
        from zoo.models.sides import doublings_from_4

        doublings_from_4(self.image_size, "DCGAN")


def build(cfg: Config):
    """The compiled GANTrainer of DCGANGenerator and DCGANDiscriminator for ``cfg``."""
    import keras

    from zoo.augment.options import make_augmenter
    from zoo.models.dcgan import DCGANDiscriminator, DCGANGenerator
    from zoo.trainers import GANTrainer
    from zoo.training.setup import make_optimizer

    keras.utils.set_random_seed(cfg.seed)
    generator = DCGANGenerator(cfg.latent_dim, cfg.image_size, 3, cfg.base_filters, name="generator")
    discriminator = DCGANDiscriminator(cfg.image_size, 3, cfg.base_filters, name="discriminator")
    trainer = GANTrainer(generator, discriminator, seed=cfg.seed, augment=make_augmenter(cfg),
                         ema_half_life_images=1000.0 * cfg.ema_kimg)
    trainer.compile(
        g_optimizer=make_optimizer(cfg.optimizer, cfg.learning_rate, cfg.beta_1, cfg.beta_2),
        d_optimizer=make_optimizer(cfg.optimizer, cfg.learning_rate, cfg.beta_1, cfg.beta_2),
        jit_compile=cfg.jit_compile,
    )
    return trainer


def run(cfg: Config, run_dir: str, resume: bool = False):
    from zoo.training.setup import train_gan

    return train_gan(cfg, run_dir, resume, build)


def describe(cfg: Config):
    from zoo.augment.options import describe_augment
    from zoo.training.setup import describe_generator_ema, describe_optimizer

    return [describe_optimizer(cfg.optimizer, cfg.learning_rate, cfg.beta_1, cfg.beta_2),
            "loss: binary cross-entropy (non-saturating generator loss)", describe_augment(cfg),
            describe_generator_ema(cfg.ema_kimg)]


def main(argv=None) -> int:
    from zoo.training.recipe import run_recipe

    return run_recipe(NAME, Config, run, argv, describe)


if __name__ == "__main__":
    sys.exit(main())
