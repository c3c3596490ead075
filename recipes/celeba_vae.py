"""The VAE of the DCGAN-vs-VAE comparison: Hou et al.'s deep feature consistent VAE architecture, CelebA 64x64.

    python -m recipes.celeba_vae --data-dir ~/data/celeba
    python -m recipes.celeba_vae --feature-weight 0.5 --vgg19-weights vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5
    python -m recipes.celeba_vae --latent-dim 128 --epochs 20     # the VAE of the VAE/GAN/VAE+GAN report
"""

from __future__ import annotations

import dataclasses
import sys
from typing import Literal

from zoo.training.cli import RunOptions

NAME = "celeba_vae"


@dataclasses.dataclass(frozen=True)
class Config(RunOptions):
    """DFC-VAE-shaped VAE: z = 100, 64x64, batch 256, 50 epochs, summed MSE + KL, Adam(5e-4) (Hou et al.'s
    learning rate); with --feature-weight 0.5 and a local VGG19 weights file, Hou et al.'s DFC-VAE loss: KL + 0.5 *
    the feature perceptual loss (relu1_1, relu2_1, relu3_1, each normalised by 2 C H W) in place of the pixel
    error (--pixel-loss keeps it too). Without the VGG19 file (no download here) the pixel loss is the default."""

    # training images (synthetic: rendered faces, no download)
    data: Literal["celeba", "utkface", "ffhq", "synthetic"] = "celeba"
    data_dir: str | None = None  # dataset folder (UTKFace: or its .csv); default $FACEZOO_DATA/<data>, else data/<data>
    image_size: int = 64  # training image side, pixels
    latent_dim: int = 100  # size of the latent vector z
    base_filters: int = 32  # convolution filters at full resolution, doubled at each halving
    batch_size: int = 256  # images per training step
    epochs: int = 50  # passes over the training images
    steps: int = 0  # cap on total steps; 0 = epochs * steps per epoch
    time_budget: float = 0.0  # minutes of training, summed over resumes; 0 = no limit (equal-compute comparisons)
    optimizer: Literal["adam", "rmsprop", "sgd"] = "adam"  # optimizer (--beta-1/--beta-2: Adam only)
    learning_rate: float = 5e-4  # optimizer step size
    beta_1: float = 0.9  # Adam's first-moment decay
    beta_2: float = 0.999  # Adam's second-moment decay
    beta: float = 1.0  # KL weight
    recon_weight: float = 1.0  # summed squared error on [0, 1] pixels
    feature_weight: float = 0.0  # > 0: the VGG19 feature loss replaces the pixel error (0.5 in Hou et al.)
    pixel_loss: bool = False  # with --feature-weight: keep the pixel error beside the feature loss (not the paper's)
    vgg19_weights: str = ""  # local VGG19 weights file (.h5) for --feature-weight (no download here)

    def validate(self) -> None:
        """The architecture's image sides, checked before TensorFlow starts (``zoo.training.cli.validate_config``)."""
        from zoo.models.sides import multiple_of

        multiple_of(self.image_size, 16, "DFC VAE")


def build(cfg: Config):
    """The compiled VAETrainer of DFCVAEEncoder and DFCVAEDecoder for ``cfg``."""
    import keras

    from zoo.models.vae import DFCVAEDecoder, DFCVAEEncoder
    from zoo.trainers import VAETrainer
    from zoo.training.setup import make_optimizer

    feature_loss = None
    if cfg.feature_weight > 0:
        from zoo.data.errors import DataError
        from zoo.losses.perceptual import VGG19FeatureLoss

        try:
            feature_loss = VGG19FeatureLoss(cfg.vgg19_weights)
        except (FileNotFoundError, ValueError) as e:  # a missing input file: a clean exit, not a traceback
            raise DataError(f"--vgg19-weights: {e}") from e
    keras.utils.set_random_seed(cfg.seed)
    encoder = DFCVAEEncoder(cfg.image_size, 3, cfg.latent_dim, cfg.base_filters, name="encoder")
    decoder = DFCVAEDecoder(cfg.latent_dim, cfg.image_size, 3, cfg.base_filters, name="decoder")
    trainer = VAETrainer(encoder, decoder, beta=cfg.beta, recon_weight=cfg.recon_weight, seed=cfg.seed,
                         feature_loss=feature_loss, feature_weight=cfg.feature_weight, pixel_loss=cfg.pixel_loss)
    trainer.compile(encoder_optimizer=make_optimizer(cfg.optimizer, cfg.learning_rate, cfg.beta_1, cfg.beta_2),
                    decoder_optimizer=make_optimizer(cfg.optimizer, cfg.learning_rate, cfg.beta_1, cfg.beta_2),
                    jit_compile=cfg.jit_compile)
    return trainer


def run(cfg: Config, run_dir: str, resume: bool = False):
    from zoo.training.distribute import get_strategy
    from zoo.training.setup import image_dataset_fn, load_training_source
    from zoo.training.vae_run import train_autoencoder

    source = load_training_source(cfg, run_dir)
    with get_strategy().scope():
        trainer = build(cfg)
    return train_autoencoder(trainer, source, cfg, run_dir, resume, image_dataset_fn(source, cfg), channels=3)


def describe(cfg: Config):
    from zoo.training.setup import describe_optimizer

    pixels = cfg.feature_weight <= 0 or cfg.pixel_loss
    loss = f"loss: {cfg.beta:g} * KL" + (f" + {cfg.recon_weight:g} * summed squared error" if pixels else "")
    if cfg.feature_weight > 0:
        loss += (f" + {cfg.feature_weight:g} * VGG19 feature loss, each layer / (2 C H W) "
                 f"({cfg.vgg19_weights or 'NO WEIGHTS FILE GIVEN'})")
    return [describe_optimizer(cfg.optimizer, cfg.learning_rate, cfg.beta_1, cfg.beta_2), loss,
            f"latent: {cfg.latent_dim}, image: {cfg.image_size}x{cfg.image_size}, batch: {cfg.batch_size}"]


def main(argv=None) -> int:
    from zoo.training.recipe import run_recipe

    return run_recipe(NAME, Config, run, argv, describe)


if __name__ == "__main__":
    sys.exit(main())
