"""The direction sets shipped in presets load through zoo.latent.directions_of and fit their generator."""

import numpy as np
import pytest

import zoo
from zoo.latent import directions_of


@pytest.mark.parametrize("preset, names", [("dcgan_utkface_64", {"gender", "age"}),
                                           ("vae_utkface_64", {"gender", "age"}),
                                           ("wgan_gp_utkface_64", {"gender", "age"}),
                                           ("vae_gan_utkface_64", {"gender", "age"}),
                                           ("conv_vae_utkface_48", {"gender", "age"}),
                                           ("stylegan_utkface_32", {"gender", "age"}),
                                           ("progan_utkface_32", {"gender", "age"})])
def test_shipped_direction_set_fits_its_generator_and_reports_heldout_accuracy(preset, names):
    ds = directions_of(preset)
    model = zoo.from_preset(preset)
    assert ds.latent_dim == model.latent_dim and set(ds.directions) >= names
    for name in names:
        d, info = ds[name], ds.info[name]
        if "svm" in info:  # a mean difference of encoded faces, with a linear SVM's accuracy beside it
            assert np.linalg.norm(d) > 0 and 0.5 < info["svm"]["heldout_accuracy"] <= 1.0
        else:
            assert abs(np.linalg.norm(d) - 1) < 1e-4  # InterFaceGAN's unit normal
            assert 0.5 < info["heldout_accuracy"] <= 1.0
        steps = ds.info[name]["edit"]["mean_per_step"]
        assert steps[-1] > steps[0]  # the classifier's output rises along the edit (P(female), age)
    assert ds.pca.components.shape[1] == model.latent_dim
    np.testing.assert_allclose(np.linalg.norm(ds.pca.components, axis=1), 1.0, atol=1e-4)
