"""Built-in StyleGAN presets (files in zoo/presets/<name>/): the EMA generator, mapping network included (so the
w / w+ tools of zoo.latent and the demo work), at the level its run reached."""

PRESETS = {
    "stylegan_utkface_32": {
        "description": "StyleGAN generator (Karras et al. 2019; mapping 8 x 128, w 128, feature maps capped at 128), "
                       "EMA weights with its mapping network, 4 -> 32 px on UTKFace, 172k images in 127 minutes of CPU "
                       "cores, not converged (non-commercial research only)",
    },
}
