import keras
import numpy as np

from zoo.models.vae_gan import VAEGANDiscriminator


def test_discriminator_returns_logit_and_features_and_reloads(tmp_path):
    d = VAEGANDiscriminator(image_size=16, base_filters=4, dense_units=8)
    x = np.random.default_rng(0).uniform(-1, 1, (2, 16, 16, 3)).astype("float32")
    logits, features = d(x)
    assert logits.shape == (2, 1) and features.shape == (2, 4, 4, 32)
    assert [c.filters for c, _ in VAEGANDiscriminator().blocks] == [128, 256, 256]
    d.save(tmp_path / "d.keras")
    l2, f2 = keras.saving.load_model(tmp_path / "d.keras")(x)
    np.testing.assert_array_equal(np.asarray(l2), np.asarray(logits))
    np.testing.assert_array_equal(np.asarray(f2), np.asarray(features))
