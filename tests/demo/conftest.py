"""Tiny presets (16 px, 4-8 filters, latent 8) saved to temporary folders, for the demo's functions."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _keras_only(monkeypatch):
    # Keras answers unless a test asks for ONNX: a background export would make two calls differ by rounding.
    monkeypatch.setenv("FACEZOO_DEMO_ONNX", "0")


def _with_contrast(g, dim=8):
    """Scale the last convolution so that the untrained network's faces span [-1, 1] (they are ~0 otherwise,
    and every test on pixels would compare flat grey images)."""
    import numpy as np

    ws = g.get_weights()
    i = max(k for k, w in enumerate(ws) if w.ndim == 4)
    std = np.asarray(g(np.random.default_rng(0).standard_normal((8, dim)).astype("float32"), training=False)).std()
    ws[i] = ws[i] * (0.5 / max(float(std), 1e-6))
    g.set_weights(ws)
    return g


def _save(model, folder, dataset="synthetic"):
    import zoo

    return zoo.save_to_preset(model, str(folder), {"dataset": dataset, "licence": "CC0: synthetic test faces"})


@pytest.fixture(scope="session")
def generator_preset(tmp_path_factory):
    from zoo.models.dcgan import DCGANGenerator

    g = DCGANGenerator(latent_dim=8, image_size=16, base_filters=4)
    g.build((None, 8))
    return _save(_with_contrast(g), tmp_path_factory.mktemp("dcgan"))


@pytest.fixture(scope="session")
def stylegan_preset(tmp_path_factory):
    import numpy as np

    from zoo.models.stylegan import StyleGANGenerator

    g = StyleGANGenerator(latent_dim=8, w_dim=8, resolution=16, mapping_layers=2, fmap_base=32, fmap_max=8, seed=0)
    g.build((None, 8))
    g.w_avg.assign(np.full((8,), 0.3, np.float32))
    return _save(g, tmp_path_factory.mktemp("stylegan"))


@pytest.fixture(scope="session")
def progan_preset(tmp_path_factory):
    from zoo.models.progan import ProGANGenerator

    g = ProGANGenerator(latent_dim=8, resolution=16, fmap_base=32, fmap_max=8)
    g.build((None, 8))
    return _save(g, tmp_path_factory.mktemp("progan"))


@pytest.fixture(scope="session")
def vae_presets(tmp_path_factory):
    """(encoder, decoder) preset folders of a tiny untrained DFC-VAE."""
    from zoo.models.vae import DFCVAEDecoder, DFCVAEEncoder

    enc = DFCVAEEncoder(image_size=16, latent_dim=8, base_filters=4)
    enc.build((None, 16, 16, 3))
    dec = DFCVAEDecoder(latent_dim=8, image_size=16, base_filters=4)
    dec.build((None, 8))
    dec = _with_contrast(dec)
    return _save(enc, tmp_path_factory.mktemp("vae_enc")), _save(dec, tmp_path_factory.mktemp("vae_dec"))


@pytest.fixture(scope="session")
def classifier_presets(tmp_path_factory):
    """(multi-task FaceClassifier, age FaceClassifierEnsemble of two members) preset folders."""
    from zoo.models.face_classifier import FaceClassifier, FaceClassifierEnsemble

    def clf(tasks, seed):
        import keras

        keras.utils.set_random_seed(seed)
        m = FaceClassifier(tasks=tasks, image_size=16, channels=1, filters=(4, 4), dense_units=8)
        m.build((None, 16, 16, 1))
        return m

    multi = clf(("gender", "ethnicity", "age"), 1)
    ens = FaceClassifierEnsemble([clf(("age",), 2), clf(("age",), 3)])
    ens.build((None, 16, 16, 1))
    return _save(multi, tmp_path_factory.mktemp("clf_multi")), _save(ens, tmp_path_factory.mktemp("clf_age_ens"))
