"""Built-in WGAN-GP presets (files in zoo/presets/<name>/): the DCGAN-shaped generator trained with a gradient
penalty against the layer-norm critic."""

PRESETS = {
    "wgan_gp_utkface_64": {
        "description": "WGAN-GP generator (DCGAN-shaped, 32 base filters), 64x64 RGB faces, trained for 110 minutes "
                       "on shared CPU cores on UTKFace, not converged (non-commercial research only)",
    },
}
