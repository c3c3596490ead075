"""Built-in VAE-GAN presets (files in zoo/presets/<name>/): decoders, z [B, latent_dim] ~ N(0, I) -> images."""

PRESETS = {
    "vae_gan_utkface_64": {
        "description": "VAE-GAN decoder (latent 128, gamma 15), 64x64 RGB faces, trained for 10 minutes on one CPU "
                       "core on UTKFace, not converged (non-commercial research only)",
    },
}
