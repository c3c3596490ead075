"""Built-in diffusion presets (files in zoo/presets/<name>/): a ``DDIMSampler``, z [B, S * S * 3] ~ N(0, I) (the
starting noise image) -> images [B, S, S, 3] in [-1, 1] by deterministic DDIM."""

PRESETS = {
    "ddim_utkface_32": {
        "description": "DDIM (keras.io's 1.95 M-parameter U-Net, EMA weights, 20 steps), 32x32 RGB faces, trained "
                       "89 minutes on the UTKFace split's train part on shared CPU cores, not converged "
                       "(non-commercial research only)",
    },
}
