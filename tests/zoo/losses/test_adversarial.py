import numpy as np
import pytest

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


LN2, LN3, LN4 = np.log(2.0), np.log(3.0), np.log(4.0)
REAL = np.array([[0.0], [0.0]], np.float32)  # D = 1/2: -log D = ln 2
RECON = np.array([[LN3], [LN3]], np.float32)  # D = 3/4: -log(1 - D) = ln 4, log(1 - D) = -ln 4
PRIOR = np.array([[-LN3], [-LN3]], np.float32)  # D = 1/4: -log(1 - D) = ln 4/3, log(1 - D) = -ln 4/3


def test_saturating_generator_loss_is_log_one_minus_d():
    np.testing.assert_allclose(adversarial.saturating_generator_loss(RECON), [-LN4, -LN4], rtol=1e-5)
    np.testing.assert_allclose(adversarial.saturating_generator_loss(PRIOR), [-(LN4 - LN3)] * 2, rtol=1e-5)
    # non-saturating on the same fakes: -log D
    np.testing.assert_allclose(adversarial.bce_generator_loss(PRIOR), [LN4, LN4], rtol=1e-5)


def test_weighted_discriminator_loss_plain_sum_and_real_vs_generated_weight():
    loss = adversarial.weighted_discriminator_loss
    np.testing.assert_allclose(loss(REAL, [RECON, PRIOR]), [LN2 + LN4 + LN4 - LN3] * 2, rtol=1e-5)
    np.testing.assert_allclose(loss(REAL, [PRIOR]), [LN2 + LN4 - LN3] * 2, rtol=1e-5)
    # 0.5 : 0.5, one fake batch (Larsen et al.'s CelebA set-up) and two (each fake batch gets 0.25)
    np.testing.assert_allclose(loss(REAL, [PRIOR], 0.5), [0.5 * LN2 + 0.5 * (LN4 - LN3)] * 2, rtol=1e-5)
    np.testing.assert_allclose(loss(REAL, [RECON, PRIOR], 0.5), [0.5 * LN2 + 0.25 * (LN4 + LN4 - LN3)] * 2,
                               rtol=1e-5)
    np.testing.assert_allclose(loss(REAL, [PRIOR], 0.25), [0.25 * LN2 + 0.75 * (LN4 - LN3)] * 2, rtol=1e-5)
    for bad in (0.0, 1.0, 1.5):
        with pytest.raises(ValueError, match="real_weight"):
            loss(REAL, [PRIOR], bad)
