"""Built-in VAE presets (files in zoo/presets/<name>/): decoders, z [B, latent_dim] ~ N(0, I) -> images."""

PRESETS = {
    "vae_utkface_64": {
        "description": "DFC-VAE-shaped decoder (latent 100), 64x64 RGB faces, trained briefly on UTKFace on a "
                       "shared CPU (non-commercial research only)",
    },
}
