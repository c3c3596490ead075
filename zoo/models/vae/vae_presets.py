"""Built-in VAE presets (files in zoo/presets/<name>/): decoders, z [B, latent_dim] ~ N(0, I) -> images, and
their encoders, images -> (mean, log_var) [B, latent_dim] (``vae_encoder_<rest of the decoder's name>`` or
``<decoder's name>_encoder``)."""

PRESETS = {
    "vae_utkface_64": {
        "description": "DFC-VAE decoder (latent 100), 64x64 RGB faces, trained for 75 minutes on shared CPU cores "
                       "on UTKFace, not converged; ships a latent direction set (non-commercial research only)",
    },
    "vae_encoder_utkface_64": {
        "description": "Encoder of vae_utkface_64 (same run): 64x64 RGB faces -> posterior mean and log-variance "
                       "(latent 100) (non-commercial research only)",
    },
    "conv_vae_utkface_48": {
        "description": "Conv VAE decoder M(256, 0.01) of the UTKFace VAE study (latent 256, KL weight 0.01), 48x48 "
                       "grey faces, trained for 45 minutes on shared CPU cores on UTKFace; ships a direction set "
                       "(non-commercial research only)",
    },
    "conv_vae_utkface_48_encoder": {
        "description": "Encoder of conv_vae_utkface_48 (same run): 48x48 grey faces -> posterior mean and "
                       "log-variance (latent 256) (non-commercial research only)",
    },
}
