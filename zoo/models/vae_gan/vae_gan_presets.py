"""Built-in VAE-GAN presets (files in zoo/presets/<name>/): decoders, z [B, latent_dim] ~ N(0, I) -> images."""

PRESETS = {
    "vae_gan_utkface_64": {
        "description": "VAE-GAN decoder (latent 128, gamma 15), 64x64 RGB faces, trained briefly on UTKFace on a "
                       "shared CPU (non-commercial research only)",
    },
}
