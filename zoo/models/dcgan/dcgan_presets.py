"""Built-in DCGAN presets (files in zoo/presets/<name>/)."""

PRESETS = {
    "dcgan_utkface_64": {
        "description": "DCGAN generator, 64x64 RGB faces, trained on UTKFace (non-commercial research only)",
    },
}
