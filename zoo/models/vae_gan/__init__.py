"""VAE-GAN (Larsen et al. 2016): the DFC-VAE encoder/decoder with a discriminator that exposes features."""

from zoo.models.vae_gan.vae_gan_discriminator import VAEGANDiscriminator

__all__ = ["VAEGANDiscriminator"]
