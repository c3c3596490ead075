"""Built-in progressive GAN presets (files in zoo/presets/<name>/): the EMA generator at the level its run reached,
z [B, latent_dim] -> images [B, R, R, 3] in [-1, 1]."""

PRESETS = {
    "progan_utkface_32": {
        "description": "Progressive GAN generator (Karras et al. 2018; latent 128, feature maps capped at 128), EMA "
                       "weights at the 32 px level, 4 -> 32 px on UTKFace in 83 minutes of shared CPU cores, not "
                       "converged (non-commercial research only)",
    },
}
