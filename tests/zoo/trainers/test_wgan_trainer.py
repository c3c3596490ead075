import numpy as np
import pytest
import tensorflow as tf

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
    critic_reals = RecordingCritic.seen[0:6:2]  # each critic update calls it on the real batch, then the fakes
    for i, batch in enumerate(critic_reals):
        np.testing.assert_array_equal(batch, real[2 * i:2 * i + 2])
    assert all(x.shape[0] == 2 for x in RecordingCritic.seen)  # one batch of B per call, never the whole 3B


def test_warmup_schedule_is_the_reference_code_s():
    from zoo.trainers.wgan_trainer import critic_iterations

    # martinarjovsky/WassersteinGAN: Diters = 100 if gen_iterations < 25 or gen_iterations % 500 == 0 else 5
    expected = {0: 100, 24: 100, 25: 5, 499: 5, 500: 100, 501: 5, 1000: 100}
    assert {s: critic_iterations(s, 5, True) for s in expected} == expected
    assert [int(critic_iterations(tf.constant(s), 5, True)) for s in expected] == list(expected.values())
    assert critic_iterations(0, 5, False) == 5


def test_a_warmup_step_takes_its_critic_updates_on_as_many_fresh_batches(monkeypatch):
    from tests.zoo.trainers._family import compile_gan, gan_parts, images
    from zoo.trainers import wgan_trainer

    monkeypatch.setattr(wgan_trainer, "WARMUP_CRITIC_ITERATIONS", 7)  # 100 in the reference: 7 keeps the test fast
    g, d = gan_parts(norm="none", output_norm=False)
    t = compile_gan(WGANTrainer(g, d, n_critic=2, warmup=True))
    schedule = t.real_batches_schedule()
    assert int(schedule(tf.constant(0, tf.int64))) == 7 and int(schedule(tf.constant(30, tf.int64))) == 2
    t.train_step(images(n=7))  # generator step 0: 7 batches of 1
    assert int(t.d_optimizer.iterations.numpy()) == 7 and t.completed_steps() == 1
    assert t.get_config()["warmup"] is True
