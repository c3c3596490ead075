"""Cheng et al.'s comparison of plain, L2 and Wasserstein GANs on CelebA 96x96 (plus WGAN-GP for reference).

    python -m recipes.celeba_gan --loss plain --data-dir ~/data/celeba
    python -m recipes.celeba_gan --loss wgan --clip-value 0.005        # the clip value is hard to tune: sweep it
    python -m recipes.celeba_gan --loss wgan_gp --data synthetic --image-size 32 --epochs 2
"""

from __future__ import annotations

import dataclasses
import sys
from typing import Literal

from zoo.augment.options import AugmentOptions
from zoo.training.cli import GeneratorEMAOptions, RunOptions
from zoo.training.init_from import InitFromOptions

NAME = "celeba_gan"

# Per-loss optimizer defaults ("auto"): Adam(1e-4, 0.5, 0.99) in the paper, RMSprop(1e-4) for weight-clipped
# WGAN (Arjovsky et al.: momentum-based optimizers are unstable with clipping), Adam(1e-4, 0, 0.9) for WGAN-GP.
AUTO_OPTIMIZER = {"plain": ("adam", 0.5, 0.99), "l2": ("adam", 0.5, 0.99), "wgan": ("rmsprop", 0.9, 0.999),
                  "wgan_gp": ("adam", 0.0, 0.9)}


@dataclasses.dataclass(frozen=True)
class Config(InitFromOptions, GeneratorEMAOptions, AugmentOptions, RunOptions):
    """Upsample-conv GAN: z = 200, 96x96 (CelebA cut 20 px top and bottom), He-normal init, 50 epochs; loss plain
    (BCE), l2 (lambda = 0.02 on D's weights), wgan (clip 0.01, n_critic 5, RMSprop) or wgan_gp (lambda = 10)."""

    # plain (BCE), l2 (BCE + weight decay on D), wgan (weight clipping) or wgan_gp
    loss: Literal["plain", "l2", "wgan", "wgan_gp"] = "plain"
    # training images (synthetic: rendered faces, no download)
    data: Literal["celeba", "utkface", "ffhq", "synthetic"] = "celeba"
    data_dir: str | None = None  # dataset folder (UTKFace: or its .csv); default $FACEZOO_DATA/<data>, else data/<data>
    crop: Literal["auto", "cut20", "center178", "square", "none"] = "auto"  # auto: cut20 on CelebA
    image_size: int = 96  # training image side, pixels
    latent_dim: int = 200  # size of the latent vector z
    g_filters: int = 128  # 256/256/256/128/128 convolutions in the generator
    d_filters: int = 32  # 32/64/128/256/512 in the discriminator
    # the discriminator's batch-norm epsilon: Keras' 1e-3; the WGAN reference code's torch default is 1e-5, which a
    # clipped critic needs (docs/papers.md, paper 002)
    d_batch_norm_epsilon: float = 1e-3
    batch_size: int = 64  # images per training step
    epochs: int = 50  # passes over the training images
    steps: int = 0  # cap on total steps; 0 = epochs * steps per epoch
    time_budget: float = 0.0  # minutes of training, summed over resumes; 0 = no limit (equal-compute comparisons)
    # auto: the loss's (AUTO_OPTIMIZER: rmsprop for wgan, else adam); --beta-1/2: Adam only
    optimizer: Literal["auto", "adam", "rmsprop", "sgd"] = "auto"
    learning_rate: float = 1e-4  # optimizer step size
    beta_1: float | None = None  # Adam's first-moment decay; default the loss's (AUTO_OPTIMIZER)
    beta_2: float | None = None  # Adam's second-moment decay; default the loss's (AUTO_OPTIMIZER)
    n_critic: int = 0  # 0: 5 for wgan / wgan_gp, 1 otherwise
    l2_weight: float = 0.02  # l2: weight of sum(W^2) over the discriminator's kernels
    clip_value: float = 0.01  # wgan: critic weights clipped to [-clip_value, clip_value]
    wgan_warmup: bool = False  # wgan: 100 critic updates at the first 25 and every 500th generator step (no XLA)
    gp_weight: float = 10.0  # wgan_gp: gradient-penalty weight lambda

    def validate(self) -> None:
        """The architecture's image sides, checked before TensorFlow starts (``zoo.training.cli.validate_config``)."""
        from zoo.models.sides import multiple_of

        multiple_of(self.image_size, 16, "UpsampleConvGenerator")


def resolved_optimizer(cfg: Config) -> tuple[str, float, float]:
    name, b1, b2 = AUTO_OPTIMIZER[cfg.loss]
    return (name if cfg.optimizer == "auto" else cfg.optimizer,
            b1 if cfg.beta_1 is None else cfg.beta_1, b2 if cfg.beta_2 is None else cfg.beta_2)


def resolved_n_critic(cfg: Config) -> int:
    return cfg.n_critic or (5 if cfg.loss in ("wgan", "wgan_gp") else 1)


def uses_warmup(cfg: Config) -> bool:
    return cfg.wgan_warmup and cfg.loss == "wgan"


def resolved_crop(cfg: Config) -> str | None:
    if cfg.crop == "auto":
        return "cut20" if cfg.data == "celeba" else None
    return cfg.crop


def build(cfg: Config):
    """The compiled trainer of UpsampleConvGenerator and UpsampleConvDiscriminator for ``cfg.loss``."""
    import keras

    from zoo.augment.options import make_augmenter
    from zoo.models.gan import UpsampleConvDiscriminator, UpsampleConvGenerator
    from zoo.trainers import GANTrainer, L2GANTrainer, WGANGPTrainer, WGANTrainer
    from zoo.training.setup import make_optimizer

    keras.utils.set_random_seed(cfg.seed)
    generator = UpsampleConvGenerator(cfg.latent_dim, cfg.image_size, 3, cfg.g_filters, name="generator")
    wasserstein = cfg.loss in ("wgan", "wgan_gp")
    discriminator = UpsampleConvDiscriminator(cfg.image_size, 3, cfg.d_filters,
                                              norm="layer" if cfg.loss == "wgan_gp" else "batch",
                                              output_norm=not wasserstein, batch_norm_epsilon=cfg.d_batch_norm_epsilon,
                                              name="discriminator")
    n_critic = resolved_n_critic(cfg)
    # every variant takes the augmenter and the generator EMA
    shared = dict(augment=make_augmenter(cfg), ema_half_life_images=1000.0 * cfg.ema_kimg)
    if cfg.loss == "plain":
        trainer = GANTrainer(generator, discriminator, seed=cfg.seed, **shared)
        trainer.n_critic = n_critic
    elif cfg.loss == "l2":
        trainer = L2GANTrainer(generator, discriminator, seed=cfg.seed, l2_weight=cfg.l2_weight, **shared)
        trainer.n_critic = n_critic
    elif cfg.loss == "wgan":
        trainer = WGANTrainer(generator, discriminator, seed=cfg.seed, clip_value=cfg.clip_value, n_critic=n_critic,
                              warmup=cfg.wgan_warmup, **shared)
    else:
        trainer = WGANGPTrainer(generator, discriminator, seed=cfg.seed, gp_weight=cfg.gp_weight, n_critic=n_critic,
                                **shared)
    name, b1, b2 = resolved_optimizer(cfg)
    trainer.compile(g_optimizer=make_optimizer(name, cfg.learning_rate, b1, b2),
                    d_optimizer=make_optimizer(name, cfg.learning_rate, b1, b2),
                    jit_compile=cfg.jit_compile and not uses_warmup(cfg))  # warm-up steps have two batch shapes
    return trainer


def run(cfg: Config, run_dir: str, resume: bool = False):
    from zoo.training.setup import train_gan

    return train_gan(cfg, run_dir, resume, build, crop=resolved_crop(cfg))


def describe(cfg: Config):
    from zoo.augment.options import describe_augment
    from zoo.training.setup import describe_generator_ema, describe_optimizer

    name, b1, b2 = resolved_optimizer(cfg)
    loss = {"plain": "binary cross-entropy (non-saturating generator loss)",
            "l2": f"binary cross-entropy + {cfg.l2_weight:g} * sum(W^2) over the discriminator kernels",
            "wgan": f"Wasserstein, critic weights clipped to [-{cfg.clip_value:g}, {cfg.clip_value:g}]",
            "wgan_gp": f"Wasserstein + gradient penalty (lambda = {cfg.gp_weight:g}), layer-norm critic"}[cfg.loss]
    warmup = " (100 at the first 25 and every 500th generator step)" if uses_warmup(cfg) else ""
    return [describe_optimizer(name, cfg.learning_rate, b1, b2), f"loss: {loss}",
            f"n_critic: {resolved_n_critic(cfg)}{warmup}", f"crop: {resolved_crop(cfg) or 'the source default'}",
            f"latent: {cfg.latent_dim}, image: {cfg.image_size}x{cfg.image_size}", describe_augment(cfg),
            describe_generator_ema(cfg.ema_kimg)]


def main(argv=None) -> int:
    from zoo.training.recipe import run_recipe

    return run_recipe(NAME, Config, run, argv, describe)


if __name__ == "__main__":
    sys.exit(main())
