import keras
import numpy as np
import pytest

from tests.zoo.trainers._family import assert_reloads, changed, images, two_steps, weights
from zoo.losses.vae import kl_divergence, reconstruction_loss
from zoo.models.vae import ConvVAEDecoder, ConvVAEEncoder, DFCVAEDecoder, DFCVAEEncoder
from zoo.trainers import VAETrainer


def make(beta=1.0, greyscale=False):
    if greyscale:
        enc, dec = ConvVAEEncoder(16, 1, 2, 4, 8), ConvVAEDecoder(2, 16, 1, 4, 8)
    else:
        enc, dec = DFCVAEEncoder(16, 3, 8, 4), DFCVAEDecoder(8, 16, 3, 4)
    t = VAETrainer(enc, dec, beta=beta, seed=3)
    t.compile(encoder_optimizer=keras.optimizers.Adam(1e-3), decoder_optimizer=keras.optimizers.Adam(1e-3),
              jit_compile=False)
    t.build_all()
    return t


@pytest.mark.parametrize("greyscale", [False, True])
def test_two_steps_finite_separate_terms_and_reload(tmp_path, greyscale):
    t = make(beta=0.01, greyscale=greyscale)
    x = images(channels=1 if greyscale else 3)
    e0, d0 = weights(t.encoder), weights(t.decoder)
    logs = two_steps(t, x)
    assert set(logs) == {"loss", "reconstruction", "kl"} and changed(e0, t.encoder) and changed(d0, t.decoder)
    assert t.completed_steps() == 2
    if not greyscale:  # one reload per trainer class is enough
        assert_reloads(t, tmp_path, lambda m: m.reconstruct(x))


def test_loss_is_reconstruction_plus_beta_kl():
    t = make(beta=0.25)
    x = images()
    seed_state = np.array(t.sampling.seed_generator.state)
    out = {k: np.asarray(v) for k, v in t.compute_losses(x, training=False).items()}
    np.testing.assert_allclose(out["loss"], out["reconstruction"] + 0.25 * out["kl"], rtol=1e-6)
    mean, log_var = t.encoder(x)
    np.testing.assert_allclose(out["kl"], np.asarray(kl_divergence(mean, log_var)), rtol=1e-6)
    t.sampling.seed_generator.state.assign(seed_state)  # the same noise again
    z = t.sampling(mean, log_var)
    np.testing.assert_allclose(out["reconstruction"], np.asarray(reconstruction_loss(x, t.decoder(z))), rtol=1e-5)


def test_feature_weight_needs_a_feature_loss():
    with pytest.raises(ValueError, match="VGG19FeatureLoss"):
        VAETrainer(DFCVAEEncoder(16, 3, 8, 4), DFCVAEDecoder(8, 16, 3, 4), feature_weight=0.5)


def test_dfc_vae_loss_is_kl_plus_half_the_feature_term_in_place_of_pixels():
    # Hou et al.: alpha * KL + beta * sum_l feature error / (2 C H W), alpha 1, beta 0.5, no pixel term.
    from zoo.losses.perceptual import feature_perceptual_loss

    def image_features(x, y):  # a stand-in for VGG19: the image itself is the one "layer"
        return feature_perceptual_loss([x], [y])

    enc, dec = DFCVAEEncoder(16, 3, 8, 4), DFCVAEDecoder(8, 16, 3, 4)
    t = VAETrainer(enc, dec, seed=0, feature_loss=image_features, feature_weight=0.5)
    out = {k: np.asarray(v) for k, v in t.compute_losses(images(), training=False).items()}
    assert np.all(out["reconstruction"] > 0)  # still logged
    np.testing.assert_allclose(out["loss"], out["kl"] + 0.5 * out["feature"], rtol=1e-5)
    # The pixel term stays an option.
    t = VAETrainer(enc, dec, seed=0, feature_loss=image_features, feature_weight=0.5, pixel_loss=True)
    out = {k: np.asarray(v) for k, v in t.compute_losses(images(), training=False).items()}
    np.testing.assert_allclose(out["loss"], out["reconstruction"] + out["kl"] + 0.5 * out["feature"], rtol=1e-5)
