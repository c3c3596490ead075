"""Tiny models of every exportable family, exported once per session and shared by the export tests.

To cover a new family, add one line to ``FAMILIES``: a name and a function returning the built tiny model.
"""

from __future__ import annotations

import os

import numpy as np
import pytest


def _dcgan_generator():
    from zoo.models.dcgan import DCGANGenerator

    return DCGANGenerator(latent_dim=8, image_size=16, channels=3, base_filters=8)


def _face_classifier():
    from zoo.models.face_classifier.face_classifier import FaceClassifier

    return FaceClassifier(tasks=("gender", "age"), image_size=16, channels=1, filters=(4, 8), dense_units=8)


def _face_classifier_flip():
    from zoo.models.face_classifier.face_classifier import FaceClassifier

    # Test-time flip: the graph mirrors the batch, runs both halves and averages them (flip + concat + slices).
    # The narrow age range makes the clamp act on most random inputs.
    return FaceClassifier(tasks=("ethnicity", "age"), image_size=16, channels=1, filters=(4, 8), dense_units=8,
                          test_time_flip=True, age_range=(32.5, 33.5))


def _face_classifier_ensemble():
    from zoo.models.face_classifier import FaceClassifier, FaceClassifierEnsemble

    members = [FaceClassifier(tasks=("gender", "age"), image_size=16, channels=1, filters=f, dense_units=8,
                              test_time_flip=flip) for f, flip in (((4, 8), False), ((8, 4), True))]
    # A bent monotone age map with knots among the mean ages that build() gives on the test inputs (17-20 years).
    return FaceClassifierEnsemble(members, age_calibration={"x": [10.0, 17.5, 18.5, 19.5, 30.0],
                                                            "y": [5.0, 20.0, 30.0, 33.0, 60.0]})


def _upsample_conv_generator():
    from zoo.models.gan.upsample_conv_generator import UpsampleConvGenerator

    return UpsampleConvGenerator(latent_dim=8, image_size=16, channels=3, base_filters=8)


def _dfc_vae_encoder():
    from zoo.models.vae import DFCVAEEncoder

    return DFCVAEEncoder(image_size=16, channels=3, latent_dim=8, base_filters=4)


def _dfc_vae_decoder():
    from zoo.models.vae import DFCVAEDecoder

    return DFCVAEDecoder(latent_dim=8, image_size=16, channels=3, base_filters=4)


def _progan_generator():
    from zoo.models.progan.progan_generator import ProGANGenerator

    return ProGANGenerator(latent_dim=8, resolution=8, channels=3, fmap_base=32, fmap_max=8)


def _stylegan_generator():
    from zoo.models.stylegan.stylegan_generator import StyleGANGenerator

    return StyleGANGenerator(latent_dim=8, w_dim=8, resolution=8, channels=3, mapping_layers=2, fmap_base=32,
                             fmap_max=8)


# name -> (factory, input shape without the batch)
FAMILIES = {
    "dcgan_generator": (_dcgan_generator, (8,)),
    "face_classifier": (_face_classifier, (16, 16, 1)),
    "face_classifier_flip": (_face_classifier_flip, (16, 16, 1)),
    "face_classifier_ensemble": (_face_classifier_ensemble, (16, 16, 1)),
    "upsample_conv_generator": (_upsample_conv_generator, (8,)),
    "dfc_vae_encoder": (_dfc_vae_encoder, (16, 16, 3)),
    "dfc_vae_decoder": (_dfc_vae_decoder, (8,)),
    "progan_generator": (_progan_generator, (8,)),
    "stylegan_generator": (_stylegan_generator, (8,)),
}


def build(name: str):
    import keras

    factory, shape = FAMILIES[name]
    keras.utils.set_random_seed(0)
    model = factory()
    model.build((None, *shape))
    # Non-trivial batch-norm statistics and biases, so that a graph that ignored them would not match. StyleGAN's
    # constant is left as built (flat ones): AdaIN must normalise it identically in every runtime.
    rng = np.random.default_rng(0)
    model.set_weights([w + rng.uniform(0.0, 0.1, w.shape).astype(w.dtype) if w.ndim == 1 else w
                       for w in model.get_weights()])
    return model


def inputs_for(name: str, batch: int, seed: int) -> np.ndarray:
    shape = FAMILIES[name][1]
    rng = np.random.default_rng(seed)
    if len(shape) == 1:
        return rng.standard_normal((batch, *shape)).astype(np.float32)
    return rng.uniform(-1, 1, (batch, *shape)).astype(np.float32)


@pytest.fixture(scope="session")
def exported(tmp_path_factory, utkface_dir):
    """exported(family, fmt) -> (model, card, path): the family's tiny model exported once per session."""
    from export.exporter import export_model

    cache = {}

    def get(name: str, fmt: str):
        if (name, fmt) not in cache:
            if name not in cache:
                cache[name] = build(name)
            model = cache[name]
            out = str(tmp_path_factory.mktemp(f"{name}-{fmt}"))
            (card,) = export_model(model, out, fmt, source={"test": name}, images_dir=utkface_dir, log=print)
            cache[name, fmt] = (model, card, os.path.join(out, card["file"]))
        return cache[name, fmt]

    return get
