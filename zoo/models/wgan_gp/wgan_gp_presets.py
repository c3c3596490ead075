"""Built-in WGAN-GP presets (files in zoo/presets/<name>/): the DCGAN-shaped generator trained with a gradient
penalty against the layer-norm critic."""

PRESETS = {
    "wgan_gp_utkface_64": {
        "description": "WGAN-GP generator (DCGAN-shaped, 32 base filters), 64x64 RGB faces, trained briefly on "
                       "UTKFace on a shared CPU (non-commercial research only)",
    },
}
