"""Cheng et al.'s upsample-convolution GAN (the plain / L2 / WGAN comparison)."""

from zoo.models.gan.upsample_conv_discriminator import UpsampleConvDiscriminator
from zoo.models.gan.upsample_conv_generator import UpsampleConvGenerator

__all__ = ["UpsampleConvDiscriminator", "UpsampleConvGenerator"]
