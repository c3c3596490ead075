"""Built-in VAE presets (files in zoo/presets/<name>/): decoders, z [B, latent_dim] ~ N(0, I) -> images, and
their encoders, images -> (mean, log_var) [B, latent_dim] (``vae_encoder_<rest of the decoder's name>``)."""

PRESETS = {
    "vae_utkface_64": {
        "description": "DFC-VAE decoder (latent 100), 64x64 RGB faces, trained for 75 minutes on shared CPU cores "
                       "on UTKFace, not converged; ships a latent direction set (non-commercial research only)",
    },
    "vae_encoder_utkface_64": {
        "description": "Encoder of vae_utkface_64 (same run): 64x64 RGB faces -> posterior mean and log-variance "
                       "(latent 100) (non-commercial research only)",
    },
}
