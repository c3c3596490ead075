r"""VAE-GAN (Larsen et al. 2016) as in the VAE / GAN / VAE+GAN comparison report: latent 128, 64x64.

    python -m recipes.celeba_vae_gan --gamma 15 --data-dir ~/data/celeba
    python -m recipes.celeba_vae_gan --gamma 1.5          # the report's other setting
    python -m recipes.celeba_vae_gan --gamma 0.000001     # Larsen et al.'s code's CelebA weighting (recon 1e-6 vs GAN)
    python -m recipes.celeba_vae_gan --gamma 0.000001 --no-discriminate-reconstructions --real-weight 0.5 \
        --saturating-decoder-loss                         # ... and the rest of that code's CelebA GAN set-up

With the similarity summed over the discriminator's features, gamma 15 lets the reconstruction term drown the GAN
term (measured: its gradient on the decoder is about 25,000x the GAN's) and prior samples show stripes; the
``vae_gan_utkface_64`` preset was trained at ``--gamma 0.000001`` with the three GAN switches at their defaults
(docs/presets.md; its metadata.json's ``setup`` lists what differs from the reference code).
"""

from __future__ import annotations

import dataclasses
import sys
from typing import Literal

from zoo.training.cli import RunOptions

NAME = "celeba_vae_gan"


@dataclasses.dataclass(frozen=True)
class Config(RunOptions):
    """VAE-GAN: z = 128, 64x64, batch 64, 20 epochs, gamma = 15 (the report's best; it also ran 1.5), RMSprop(3e-4)
    for encoder, decoder and discriminator, each with its own optimizer (Larsen et al.'s setting). The GAN terms
    default to the paper's Algorithm 1 (D's fakes: reconstructions and prior samples, plain sum; non-saturating
    decoder loss); their code's CelebA script sets the three switches below the other way."""

    # training images (synthetic: rendered faces, no download)
    data: Literal["celeba", "utkface", "ffhq", "synthetic"] = "celeba"
    data_dir: str | None = None  # dataset folder (UTKFace: or its .csv); default $FACEZOO_DATA/<data>, else data/<data>
    image_size: int = 64  # training image side, pixels
    latent_dim: int = 128  # size of the latent vector z
    base_filters: int = 32  # encoder / decoder
    d_filters: int = 32  # discriminator: 32, 128, 256, 256
    d_dense_units: int = 512  # units of the discriminator's dense layer
    batch_size: int = 64  # images per training step
    epochs: int = 20  # passes over the training images
    steps: int = 0  # cap on total steps; 0 = epochs * steps per epoch
    time_budget: float = 0.0  # minutes of training, summed over resumes; 0 = no limit (equal-compute comparisons)
    gamma: float = 15.0  # decoder loss = gamma * feature similarity + GAN loss
    # equilibrium balancing of Larsen et al.'s code: skip D's update while it wins, the decoder's while it loses
    balance: bool = True
    gan_margin: float = 0.35  # balancing band around the equilibrium cost 0.68 (their aegan.py's default)
    # D's fakes include the reconstructions (Algorithm 1); --no-discriminate-reconstructions: prior samples only
    # (their CelebA code's discriminate_ae_recon=False; the reconstructions still give the similarity)
    discriminate_reconstructions: bool = True
    # weight w of the reals in D's loss, w * -log D(x) + (1 - w) * mean over fake batches of -log(1 - D) (their
    # code's real_vs_gen_weight, 0.5); default the plain sum -log D(x) + each fake batch's -log(1 - D)
    real_weight: float | None = None
    # decoder's GAN term log(1 - D) (saturating, their code) instead of -log D (non-saturating, the default)
    saturating_decoder_loss: bool = False
    # optimizer of every network (--beta-1/--beta-2: Adam only)
    optimizer: Literal["adam", "rmsprop", "sgd"] = "rmsprop"
    learning_rate: float = 3e-4  # optimizer step size
    beta_1: float = 0.9  # Adam's first-moment decay
    beta_2: float = 0.999  # Adam's second-moment decay

    def validate(self) -> None:
        """Checked with the other flags before TensorFlow starts (``zoo.training.cli.validate_config``)."""
        from zoo.models.sides import multiple_of

        multiple_of(self.image_size, 16, "DFC VAE")
        if self.real_weight is not None and not 0.0 < self.real_weight < 1.0:
            raise ValueError(f"--real-weight {self.real_weight}: must be in (0, 1), e.g. 0.5; leave it out for the "
                             f"plain sum")


def build(cfg: Config):
    """The compiled VAEGANTrainer for ``cfg``."""
    import keras

    from zoo.models.vae import DFCVAEDecoder, DFCVAEEncoder
    from zoo.models.vae_gan import VAEGANDiscriminator
    from zoo.trainers import VAEGANTrainer
    from zoo.training.setup import make_optimizer

    keras.utils.set_random_seed(cfg.seed)
    encoder = DFCVAEEncoder(cfg.image_size, 3, cfg.latent_dim, cfg.base_filters, name="encoder")
    decoder = DFCVAEDecoder(cfg.latent_dim, cfg.image_size, 3, cfg.base_filters, name="decoder")
    discriminator = VAEGANDiscriminator(cfg.image_size, 3, cfg.d_filters, cfg.d_dense_units, name="discriminator")
    trainer = VAEGANTrainer(encoder, decoder, discriminator, gamma=cfg.gamma, seed=cfg.seed,
                            margin=cfg.gan_margin if cfg.balance else None,
                            discriminate_reconstructions=cfg.discriminate_reconstructions,
                            real_weight=cfg.real_weight, saturating_decoder_loss=cfg.saturating_decoder_loss)

    def opt():
        return make_optimizer(cfg.optimizer, cfg.learning_rate, cfg.beta_1, cfg.beta_2)

    trainer.compile(encoder_optimizer=opt(), decoder_optimizer=opt(), d_optimizer=opt(), jit_compile=cfg.jit_compile)
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

    fakes = "x~ and x_p" if cfg.discriminate_reconstructions else "x_p only"
    d_loss = (f"-log D(x) + sum of -log(1 - D) over {fakes}" if cfg.real_weight is None else
              f"{cfg.real_weight:g} * -log D(x) + {1 - cfg.real_weight:g} * mean of -log(1 - D) over {fakes}")
    return [describe_optimizer(cfg.optimizer, cfg.learning_rate, cfg.beta_1, cfg.beta_2) + " x 3 (E, Dec, Dis)",
            "encoder loss: KL + similarity; decoder loss: "
            f"{cfg.gamma:g} * similarity + GAN ({'log(1 - D)' if cfg.saturating_decoder_loss else '-log D'} over "
            f"{fakes}); discriminator loss: {d_loss}",
            f"latent: {cfg.latent_dim}, image: {cfg.image_size}x{cfg.image_size}",
            (f"balancing: D skipped while a cost < 0.68 - {cfg.gan_margin:g}, decoder while one > 0.68 + "
             f"{cfg.gan_margin:g}" if cfg.balance else "balancing: off (every part updated at every step)")]


def main(argv=None) -> int:
    from zoo.training.recipe import run_recipe

    return run_recipe(NAME, Config, run, argv, describe)


if __name__ == "__main__":
    sys.exit(main())
