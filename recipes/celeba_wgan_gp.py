"""WGAN-GP (Gulrajani et al. 2017) at 64x64: the DCGAN generator against a layer-norm critic.

    python -m recipes.celeba_wgan_gp --data-dir ~/data/celeba
    python -m recipes.celeba_wgan_gp --data utkface --data-dir ../shared/data/utkface --base-filters 32
"""

from __future__ import annotations

import dataclasses
import sys
from typing import Literal

from zoo.augment.options import AugmentOptions
from zoo.training.cli import GeneratorEMAOptions, RunOptions
from zoo.training.init_from import InitFromOptions

NAME = "celeba_wgan_gp"


@dataclasses.dataclass(frozen=True)
class Config(InitFromOptions, GeneratorEMAOptions, AugmentOptions, RunOptions):
    """WGAN-GP: z = 100, 64x64, batch 64, Adam(1e-4, beta = (0, 0.9)), lambda = 10, n_critic = 5, one uniform
    epsilon per example, layer norm (no batch norm) in the critic; 200k generator steps as in the paper's 64 px
    runs (``epochs`` is a ceiling)."""

    # training images (synthetic: rendered faces, no download)
    data: Literal["celeba", "utkface", "ffhq", "synthetic"] = "celeba"
    data_dir: str | None = None  # dataset folder (UTKFace: or its .csv); default $FACEZOO_DATA/<data>, else data/<data>
    image_size: int = 64  # training image side, pixels
    latent_dim: int = 100  # size of the latent vector z
    base_filters: int = 64  # convolution filters at full resolution, doubled at each halving
    batch_size: int = 64  # images per training step
    epochs: int = 100  # passes over the training images
    steps: int = 200_000  # cap on total (generator) steps; 0 = epochs * steps per epoch
    time_budget: float = 0.0  # minutes of training, summed over resumes; 0 = no limit (equal-compute comparisons)
    optimizer: Literal["adam", "rmsprop", "sgd"] = "adam"  # optimizer of both networks (--beta-1/--beta-2: Adam only)
    learning_rate: float = 1e-4  # optimizer step size
    beta_1: float = 0.0  # Adam's first-moment decay
    beta_2: float = 0.9  # Adam's second-moment decay
    gp_weight: float = 10.0  # gradient-penalty weight lambda
    n_critic: int = 5  # critic updates per generator step

    def validate(self) -> None:
        """The architecture's image sides, checked before TensorFlow starts (``zoo.training.cli.validate_config``)."""
        from zoo.models.sides import doublings_from_4

        doublings_from_4(self.image_size, "DCGAN generator and critic")


def build(cfg: Config):
    """The compiled WGANGPTrainer of DCGANGenerator and LayerNormCritic for ``cfg``."""
    import keras

    from zoo.augment.options import make_augmenter
    from zoo.models.dcgan import DCGANGenerator
    from zoo.models.wgan_gp import LayerNormCritic
    from zoo.trainers import WGANGPTrainer
    from zoo.training.setup import make_optimizer

    keras.utils.set_random_seed(cfg.seed)
    generator = DCGANGenerator(cfg.latent_dim, cfg.image_size, 3, cfg.base_filters, name="generator")
    critic = LayerNormCritic(cfg.image_size, 3, cfg.base_filters, name="critic")
    trainer = WGANGPTrainer(generator, critic, seed=cfg.seed, gp_weight=cfg.gp_weight, n_critic=cfg.n_critic,
                            augment=make_augmenter(cfg), ema_half_life_images=1000.0 * cfg.ema_kimg)
    trainer.compile(g_optimizer=make_optimizer(cfg.optimizer, cfg.learning_rate, cfg.beta_1, cfg.beta_2),
                    d_optimizer=make_optimizer(cfg.optimizer, cfg.learning_rate, cfg.beta_1, cfg.beta_2),
                    jit_compile=cfg.jit_compile)
    return trainer


def run(cfg: Config, run_dir: str, resume: bool = False):
    from zoo.training.setup import train_gan

    return train_gan(cfg, run_dir, resume, build)


def describe(cfg: Config):
    from zoo.augment.options import describe_augment
    from zoo.training.setup import describe_generator_ema, describe_optimizer

    return [describe_optimizer(cfg.optimizer, cfg.learning_rate, cfg.beta_1, cfg.beta_2),
            f"loss: Wasserstein + gradient penalty (lambda = {cfg.gp_weight:g}, float32), n_critic: {cfg.n_critic}",
            "critic: DCGAN-shaped with layer norm, linear score", describe_augment(cfg),
            describe_generator_ema(cfg.ema_kimg)]


def main(argv=None) -> int:
    from zoo.training.recipe import run_recipe

    return run_recipe(NAME, Config, run, argv, describe)


if __name__ == "__main__":
    sys.exit(main())
