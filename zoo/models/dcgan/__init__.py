"""DCGAN (Radford et al. 2016)."""

from zoo.models.dcgan.dcgan_discriminator import DCGANDiscriminator
from zoo.models.dcgan.dcgan_generator import DCGANGenerator

__all__ = ["DCGANDiscriminator", "DCGANGenerator"]
