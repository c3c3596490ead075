import numpy as np
import pytest

from tests.zoo.trainers._family import changed, compile_gan, gan_parts, images, weights
from zoo.trainers import WGANTrainer


def test_after_a_step_every_critic_weight_is_within_the_clip():
    g, d = gan_parts(output_norm=False)
    t = compile_gan(WGANTrainer(g, d, seed=1, clip_value=0.01, n_critic=2), lr=0.05)
    g0 = weights(g)
    logs = {k: float(v) for k, v in t.train_step(images()).items()}
    assert all(np.isfinite(v) for v in logs.values()), logs
    for v in d.trainable_variables:
        assert np.max(np.abs(np.asarray(v))) <= 0.01 + 1e-7, v.path
    assert any(np.max(np.abs(np.asarray(v))) == pytest.approx(0.01) for v in d.trainable_variables)
    assert changed(g0, g) and set(logs) >= {"d_loss", "g_loss", "d_real", "d_fake"}
    assert t.completed_steps() == 1  # generator steps, not the 2 critic steps
    assert t.get_config()["clip_value"] == 0.01


def test_wasserstein_losses_are_linear_in_the_scores():
    t = WGANTrainer(*gan_parts(output_norm=False))
    real, fake = np.array([[1.0], [3.0]], np.float32), np.array([[0.5], [-0.5]], np.float32)
    np.testing.assert_allclose(np.asarray(t.discriminator_loss(real, fake)), [-0.5, -3.5])
    np.testing.assert_allclose(np.asarray(t.generator_loss(fake)), [-0.5, 0.5])


def test_bad_clip():
    with pytest.raises(ValueError, match="clip_value"):
        WGANTrainer(*gan_parts(output_norm=False), clip_value=-1)


def test_each_critic_update_sees_a_fresh_real_batch():
    # Algorithm 1 of the WGAN papers: a new real minibatch per critic iteration, not n_critic passes over one.
    from tests.zoo.trainers._family import compile_gan, gan_parts, images
    from zoo.models.gan import UpsampleConvDiscriminator

    class RecordingCritic(UpsampleConvDiscriminator):
        seen: list = []

        def call(self, x, training=False):
            self.seen.append(np.asarray(x))
            return super().call(x, training=training)

    g, _ = gan_parts()
    t = compile_gan(WGANTrainer(g, RecordingCritic(16, 3, 4, norm="none", output_norm=False), n_critic=3))
    assert t.real_batches_per_step == 3
    real = images(n=6)  # 3 batches of 2
    RecordingCritic.seen.clear()
    t.train_step(real)
    critic_reals = [x[:2] for x in RecordingCritic.seen[:3]]  # each critic call: the real batch, then the fakes
    for i, batch in enumerate(critic_reals):
        np.testing.assert_array_equal(batch, real[2 * i:2 * i + 2])
    assert all(x.shape[0] == 4 for x in RecordingCritic.seen)  # B real + B fake, never the whole 3B
