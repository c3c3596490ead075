"""Tiny presets for the latent tools: a 16 px DCGAN generator (latent 8), a DFC-VAE encoder/decoder pair and a
gender+age classifier, written to preset folders once per session."""

import numpy as np
import pytest


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    import keras

    from zoo.models.dcgan import DCGANGenerator
    from zoo.models.face_classifier import FaceClassifier
    from zoo.models.vae import DFCVAEDecoder, DFCVAEEncoder
    from zoo.registry import save_to_preset

    keras.utils.set_random_seed(0)
    root = tmp_path_factory.mktemp("presets")
    models = {
        "gen": (DCGANGenerator(8, 16, 3, 4), (None, 8)),
        "enc": (DFCVAEEncoder(16, 3, 8, 4), (None, 16, 16, 3)),
        "dec": (DFCVAEDecoder(8, 16, 3, 4), (None, 8)),
        "clf": (FaceClassifier(("gender", "age"), 16, 1, (4, 8), dense_units=8), (None, 16, 16, 1)),
    }
    out = {}
    for name, (model, shape) in models.items():
        model.build(shape)
        out[name] = save_to_preset(model, str(root / name), {"dataset": "synthetic"})
    return out


@pytest.fixture(scope="session")
def photo(tmp_path_factory):
    from PIL import Image

    path = tmp_path_factory.mktemp("photo") / "face.png"
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (40, 30, 3), dtype=np.uint8)).save(path)
    return str(path)
