"""A .keras extractor whose output is already a feature vector (no Dense head) is used as it is."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.metrics.features import ExtractorError, make_extractor


def _images(n=3, size=20):
    return np.random.default_rng(0).integers(0, 256, (n, size, size, 3), dtype=np.uint8)


def test_an_embedding_model_without_dense_layer_gives_its_output_as_features(tmp_path):
    model = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Conv2D(5, 3, activation="relu"),
                              keras.layers.GlobalAveragePooling2D()], name="embedder")
    path = str(tmp_path / "embedder.keras")
    model.save(path)
    ext = make_extractor(path)
    images = _images()
    feats = ext(images)
    x = tf.image.resize(tf.cast(images, tf.float32), (16, 16), method="bilinear", antialias=True) / 127.5 - 1.0
    np.testing.assert_allclose(feats, model(x), rtol=1e-5, atol=1e-6)
    assert feats.shape == (3, 5) and not ext.has_predictions  # a feature vector, not class scores for an IS


def test_a_model_without_dense_layer_and_image_output_is_still_refused(tmp_path):
    model = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Conv2D(2, 3, padding="same")], name="conv")
    path = str(tmp_path / "conv.keras")
    model.save(path)
    with pytest.raises(ExtractorError, match=r"not a feature vector \[B, D\]; name a layer with --extractor-layer"):
        make_extractor(path)
