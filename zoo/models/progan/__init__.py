"""ProGAN (Karras et al. 2018): progressive growing with equalized learning rate, pixel norm, minibatch stddev."""

from zoo.models.progan.progan_discriminator import ProGANDiscriminator
from zoo.models.progan.progan_generator import ProGANGenerator

__all__ = ["ProGANDiscriminator", "ProGANGenerator"]
