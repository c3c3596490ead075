"""Built-in VAE-GAN presets (files in zoo/presets/<name>/): decoders, z [B, latent_dim] ~ N(0, I) -> images, and
their encoders, images -> (mean, log_var) [B, latent_dim] (``<decoder name>_encoder``, the same run)."""

PRESETS = {
    "vae_gan_utkface_64": {
        "description": "VAE-GAN decoder (latent 128, gamma 1e-6: the reference code's weighting), 64x64 RGB faces, "
                       "384k UTKFace images (bfloat16, about 100 min on CPU); about 7% of prior samples come out "
                       "black (non-commercial research only)",
    },
    "vae_gan_utkface_64_encoder": {
        "description": "Encoder of vae_gan_utkface_64 (same run): 64x64 RGB faces -> posterior mean and log-variance "
                       "(latent 128) (non-commercial research only)",
    },
}
