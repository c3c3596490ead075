import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.metrics.features import ExtractorError, FeatureExtractor, inception_extractor, keras_extractor


def _images(n=6, size=20, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, size, size, 3), dtype=np.uint8)


def _sequential():
    return keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Conv2D(4, 3, activation="relu"),
                             keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(6, activation="tanh",
                                                                                       name="emb"),
                             keras.layers.Dense(3, activation="softmax", name="out")], name="tiny")


def test_penultimate_features_of_a_functional_model_and_its_preprocessing(tmp_path):
    model = _sequential()
    path = str(tmp_path / "tiny.keras")
    model.save(path)
    ext = keras_extractor(path)
    images = _images()
    feats, probs = ext(images)
    x = tf.image.resize(tf.cast(images, tf.float32), (16, 16), method="bilinear", antialias=True) / 127.5 - 1.0
    want = keras.Model(model.inputs, model.get_layer("emb").output)(x)
    np.testing.assert_allclose(feats, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(probs, model(x), rtol=1e-5, atol=1e-6)
    assert ext.name == "tiny" and ext.has_predictions and ext.layer == "input of out"
    assert ext.metric_prefix == "[tiny]" and ext.protocol["extractor"] == "tiny"
    assert ext.protocol["extractor_fingerprint"].startswith("sha256:")
    with pytest.raises(ValueError, match="uint8"):
        ext(images.astype(np.float32))


def test_subclassed_multi_head_classifier_features():
    from zoo.models.face_classifier import FaceClassifier

    model = FaceClassifier(("gender",), image_size=16, channels=1, filters=(4, 8), dense_units=8, name="clf")
    model.build((None, 16, 16, 1))
    ext = keras_extractor(model)
    assert (ext.image_size, ext.channels, ext.has_predictions) == (16, 1, False)  # dict output: no IS
    images = _images(4, 16)
    grey = tf.image.rgb_to_grayscale(tf.cast(images, tf.float32)) / 127.5 - 1.0
    dense, act, _, _ = model.heads["gender"]
    want = act(dense(model.features(grey)))
    np.testing.assert_allclose(ext(images), want, rtol=1e-5, atol=1e-6)
    trunk = keras_extractor(model, layer="features")
    assert trunk(images).shape == (4, 4 * 4 * 8)  # two 2x2 poolings of 16 px, 8 filters
    with pytest.raises(ExtractorError, match="no layer 'nope'"):
        keras_extractor(model, layer="nope")
    # With test-time flip the features are still those of the images as given, one row per image.
    flip = FaceClassifier.from_config({**model.get_config(), "test_time_flip": True})
    flip.build((None, 16, 16, 1))
    flip.set_weights(model.get_weights())
    np.testing.assert_allclose(keras_extractor(flip)(images), want, rtol=1e-5, atol=1e-6)
    from zoo.models.face_classifier import FaceClassifierEnsemble

    with pytest.raises(ExtractorError, match="ensemble"):
        keras_extractor(FaceClassifierEnsemble([model, flip]))


def test_inception_without_weights_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv("FACEZOO_INCEPTION_WEIGHTS", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(ExtractorError, match="--inception-weights"):
        inception_extractor()
    with pytest.raises(ExtractorError, match="does not exist"):
        inception_extractor(str(tmp_path / "missing.h5"))
    bad = tmp_path / "bad.weights.h5"
    keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]).save_weights(str(bad))
    with pytest.raises(ExtractorError, match="not an InceptionV3 weights file"):
        inception_extractor(str(bad))


def test_extractor_checks_its_geometry():
    with pytest.raises(ExtractorError, match="channels"):
        FeatureExtractor(lambda x: x, "x", 16, channels=2)
