"""Built-in VAE presets (files in zoo/presets/<name>/): decoders, z [B, latent_dim] ~ N(0, I) -> images."""

PRESETS = {
    "vae_utkface_64": {
        "description": "DFC-VAE-shaped decoder (latent 100), 64x64 RGB faces, trained for 10 minutes on one CPU "
                       "core on UTKFace, not converged (non-commercial research only)",
    },
}
