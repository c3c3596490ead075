"""The latent tools' held-out faces are the presets' test part whatever --seed is: a seed picks which test faces,
never a different split (which would hand the tools faces the presets trained on)."""

import numpy as np


def test_test_faces_come_from_the_presets_test_part_for_every_seed(tmp_path):
    from zoo.data import load_source
    from zoo.data.splits import preset_split
    from zoo.data.synthetic import write_utkface
    from zoo.latent.data import load_images

    root = write_utkface(str(tmp_path / "utk"), 60, seed=5, image_size=16)
    source = load_source("utkface", root, image_size=16)
    test = preset_split(len(source))["test"]
    everything, _, _ = load_images("utkface", root, count=len(source), image_size=16, split="all", seed=0)
    held_out = everything[np.sort(test)]  # split="all" draws every image, in index order
    for seed in (0, 1, 2, 3):
        images, _, info = load_images("utkface", root, count=len(test), image_size=16, split="test", seed=seed)
        assert info["split_seed"] == 0 and info["draw_seed"] == seed
        for image in images:  # each drawn face is one of the presets' test faces
            assert np.min(np.abs(held_out - image).reshape(len(held_out), -1).max(axis=1)) < 1e-6
