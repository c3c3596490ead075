import numpy as np

from zoo.losses import adversarial


def test_bce_losses_match_hand_computation():
    real = np.array([[2.0], [-1.0]], np.float32)
    fake = np.array([[0.0], [3.0]], np.float32)
    sig = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    want_d = -np.log(sig(real[:, 0])) - np.log(1 - sig(fake[:, 0]))
    np.testing.assert_allclose(adversarial.bce_discriminator_loss(real, fake), want_d, rtol=1e-5)
    np.testing.assert_allclose(adversarial.bce_generator_loss(fake), -np.log(sig(fake[:, 0])), rtol=1e-5)
    # the stable form stays finite for large logits
    assert np.isfinite(np.asarray(adversarial.bce_generator_loss(np.array([[-200.0]], np.float32)))).all()


def test_wasserstein_losses():
    real = np.array([[1.0], [3.0]], np.float32)
    fake = np.array([[0.5], [-1.0]], np.float32)
    np.testing.assert_allclose(adversarial.wasserstein_critic_loss(real, fake), [-0.5, -4.0])
    np.testing.assert_allclose(adversarial.wasserstein_generator_loss(fake), [-0.5, 1.0])
