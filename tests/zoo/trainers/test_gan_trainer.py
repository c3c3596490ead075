import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.models.dcgan import DCGANDiscriminator, DCGANGenerator
from zoo.trainers import GANTrainer


def make_trainer(lr=2e-4, jit=False):
    g = DCGANGenerator(latent_dim=8, image_size=16, base_filters=4)
    d = DCGANDiscriminator(image_size=16, base_filters=4)
    t = GANTrainer(g, d, seed=1)
    t.compile(g_optimizer=keras.optimizers.Adam(lr, beta_1=0.5), d_optimizer=keras.optimizers.Adam(lr, beta_1=0.5),
              jit_compile=jit)
    t.build_all()
    return t


def data(n=8, batch=4):
    x = np.random.default_rng(0).uniform(-1, 1, (n, 16, 16, 3)).astype("float32")
    return tf.data.Dataset.from_tensor_slices(x).batch(batch, drop_remainder=True).repeat()


def test_one_step_changes_both_networks_with_finite_losses():
    t = make_trainer(jit=True)
    g0 = [w.copy() for w in t.generator.get_weights()]
    d0 = [w.copy() for w in t.discriminator.get_weights()]
    hist = t.fit(data(), steps_per_epoch=1, epochs=1, verbose=0).history
    for k in ("d_loss", "g_loss", "d_real", "d_fake"):
        assert np.isfinite(hist[k][0]), k
    assert 0 < hist["d_real"][0] < 1
    assert any(not np.array_equal(a, b) for a, b in zip(g0, t.generator.get_weights()))
    assert any(not np.array_equal(a, b) for a, b in zip(d0, t.discriminator.get_weights()))
    assert t.completed_steps() == 1


def test_reduce_loss_divides_by_global_batch():
    assert float(GANTrainer.reduce_loss(tf.constant([1.0, 2.0, 3.0, 6.0]))) == 3.0


def test_checkpoint_variables_cover_models_optimizers_and_rng():
    t = make_trainer()
    groups = t.checkpoint_variables()
    assert set(groups) == {"model", "g_optimizer", "d_optimizer"}
    paths = [v.path for v in groups["model"]]
    assert any("seed_generator" in p for p in paths)
    n_weights = len(t.generator.weights) + len(t.discriminator.weights)
    assert len(groups["model"]) == n_weights + 1


def test_trainer_saves_and_reloads(tmp_path):
    t = make_trainer()
    z = np.random.randn(2, 8).astype("float32")
    t.save(tmp_path / "t.keras")
    t2 = keras.saving.load_model(tmp_path / "t.keras")
    np.testing.assert_array_equal(np.asarray(t2.generator(z)), np.asarray(t.generator(z)))


def test_step_with_loss_scaling_updates_weights():
    g = DCGANGenerator(latent_dim=8, image_size=16, base_filters=4)
    d = DCGANDiscriminator(image_size=16, base_filters=4)
    t = GANTrainer(g, d)
    t.compile(g_optimizer=keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(1e-3)),
              d_optimizer=keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(1e-3)))
    t.build_all()
    before = [w.copy() for w in g.get_weights()]
    hist = t.fit(data(), steps_per_epoch=1, epochs=1, verbose=0).history
    assert np.isfinite(hist["g_loss"][0])
    assert any(not np.array_equal(a, b) for a, b in zip(before, g.get_weights()))


def test_completed_steps_counts_generator_steps_with_several_critic_updates():
    class FiveCritic(GANTrainer):
        n_critic = 5

    g = DCGANGenerator(latent_dim=8, image_size=16, base_filters=4)
    d = DCGANDiscriminator(image_size=16, base_filters=4)
    t = FiveCritic(g, d)
    t.compile(g_optimizer=keras.optimizers.Adam(1e-4), d_optimizer=keras.optimizers.Adam(1e-4))
    t.build_all()
    assert t.real_batches_per_step == 5
    t.fit(data(n=20, batch=10), steps_per_epoch=2, epochs=1, verbose=0)  # 5 critic batches of 2 per step
    assert t.completed_steps() == 2 and int(t.d_optimizer.iterations.numpy()) == 10
    with pytest.raises(ValueError, match="do not split into 5 critic batches"):
        t.train_step(tf.zeros((4, 16, 16, 3)))


def test_batch_norm_on_the_logit_sees_real_and_fake_together():
    # Cheng et al.'s discriminator batch-normalises its scalar score. Called on the real and the fake batch
    # separately, each batch's scores are normalised to the same mean, so mean D(real) == mean D(fake) always.
    from tests.zoo.trainers._family import gan_parts

    g, d = gan_parts(norm="batch", output_norm=True)
    t = GANTrainer(g, d, seed=0)
    t.compile(g_optimizer=keras.optimizers.Adam(0.0), d_optimizer=keras.optimizers.Adam(0.0))
    t.build_all()
    real = np.ones((4, 16, 16, 3), "float32")  # far from anything the generator makes
    _, real_logits, fake_logits = t.discriminator_step(tf.constant(real))
    assert real_logits.shape == (4, 1) and fake_logits.shape == (4, 1)
    gap = abs(float(np.mean(real_logits)) - float(np.mean(fake_logits)))
    assert gap > 0.1, gap


def test_dcgan_discriminator_sees_real_and_fake_in_separate_batches():
    # Radford et al.'s code calls D on the real and on the generated batch separately (each normalised by its own
    # batch statistics) and D(G(z)) alone for the generator; only a batch norm on the score needs one joint call.
    t = make_trainer()
    seen = []
    call = t.discriminator.call

    def recording_call(images, training=False):
        seen.append(int(images.shape[0]))
        return call(images, training=training)

    t.discriminator.call = recording_call
    t.train_step(tf.constant(np.zeros((4, 16, 16, 3), "float32")))
    assert not t.joint_batch_statistics()
    assert seen == [4, 4, 4], seen  # D step: real, fake; G step: fake only


def test_only_a_batch_normalised_score_asks_for_joint_statistics():
    from tests.zoo.trainers._family import gan_parts

    assert GANTrainer(*gan_parts(norm="batch", output_norm=True), seed=0).joint_batch_statistics()
    assert not GANTrainer(*gan_parts(norm="batch", output_norm=False), seed=0).joint_batch_statistics()
