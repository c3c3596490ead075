"""VAEs: the DFC-VAE-shaped encoder/decoder (Hou et al.; the DCGAN-vs-VAE paper, the VAE/GAN report) and the
small convolutional VAE of the UTKFace latent-size / beta study."""

from zoo.models.vae.conv_vae_decoder import ConvVAEDecoder
from zoo.models.vae.conv_vae_encoder import ConvVAEEncoder
from zoo.models.vae.dfc_vae_decoder import DFCVAEDecoder
from zoo.models.vae.dfc_vae_encoder import DFCVAEEncoder

__all__ = ["ConvVAEDecoder", "ConvVAEEncoder", "DFCVAEDecoder", "DFCVAEEncoder"]
