"""Denoising diffusion (DDIM): the U-Net denoiser and the sampler that makes it a generator."""

from zoo.models.diffusion.ddim_sampler import DDIMSampler
from zoo.models.diffusion.unet_denoiser import UNetDenoiser

__all__ = ["DDIMSampler", "UNetDenoiser"]
