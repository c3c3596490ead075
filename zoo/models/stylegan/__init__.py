"""StyleGAN (Karras et al. 2019) on the progressive skeleton; its discriminator is ``ProGANDiscriminator``."""

from zoo.models.stylegan.stylegan_generator import StyleGANGenerator
from zoo.models.stylegan.stylegan_mapping import StyleGANMapping
from zoo.models.stylegan.stylegan_synthesis import StyleGANSynthesis

__all__ = ["StyleGANGenerator", "StyleGANMapping", "StyleGANSynthesis"]
