"""DiffusionTrainer: the step learns (the loss on fixed noise falls), the EMA copy follows the rule, flips are
seeded, the statistics normalise."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.models.diffusion import DDIMSampler, UNetDenoiser
from zoo.models.diffusion import schedule as sched
from zoo.trainers import DiffusionTrainer


def _trainer(ema=0.999, prediction="noise", mirror=False, lr=2e-3, warmup=False):
    keras.utils.set_random_seed(0)

    def unet():
        return UNetDenoiser(8, 1, widths=(8, 16), block_depth=1, embedding_dims=8, name="denoiser")

    trainer = DiffusionTrainer(unet(), DDIMSampler(unet(), 8, 1, steps=5, prediction=prediction), ema=ema,
                               mirror_augment=mirror, ema_warmup=warmup, seed=0)
    trainer.compile(denoiser_optimizer=keras.optimizers.Adam(lr))
    trainer.build_all()
    return trainer


def _fixed_loss(trainer, images):
    """The MAE of the prediction (noise or velocity) on one fixed draw of times and noise (not the trainer's
    stream)."""
    rng = np.random.default_rng(7)
    x = np.asarray(trainer.generator.normalize(images))
    eps = rng.standard_normal(x.shape).astype("float32")
    noise, signal = sched.cosine_schedule(rng.uniform(0, 1, (len(x), 1, 1, 1)).astype("float32"))
    out = np.asarray(trainer.denoiser([signal * x + noise * eps, noise ** 2]))
    target = sched.training_target(trainer.generator.prediction, x, eps, noise, signal)
    return float(np.abs(out - target).mean())


@pytest.mark.parametrize("prediction", ["noise", "velocity"])
def test_training_lowers_the_loss_on_a_fixed_set(prediction):
    trainer = _trainer(prediction=prediction)
    rng = np.random.default_rng(0)
    # a structured set: a bright blob at one of two places, which a denoiser can learn
    images = -np.ones((16, 8, 8, 1), "float32")
    for i in range(16):
        r = 1 + 4 * (i % 2)
        images[i, r:r + 3, 2:5] = 0.8
    images += 0.05 * rng.standard_normal(images.shape).astype("float32")
    trainer.set_pixel_statistics(images.mean((0, 1, 2)), images.std((0, 1, 2)))
    before = _fixed_loss(trainer, images)
    step = tf.function(trainer.train_step)  # as fit runs it (eager steps cost 10x the time)
    for _ in range(150):
        step(tf.constant(images))
    after = _fixed_loss(trainer, images)
    assert after < 0.6 * before, (before, after)


def test_ema_copy_follows_its_rule():
    trainer = _trainer(ema=0.5)
    start = [np.asarray(w) for w in trainer.generator.denoiser.weights]
    np.testing.assert_array_equal(start[0], np.asarray(trainer.denoiser.weights[0]))  # starts equal
    images = tf.constant(np.random.default_rng(1).uniform(-1, 1, (4, 8, 8, 1)).astype("float32"))
    trainer.train_step(images)
    for e, s, w in zip(trainer.generator.denoiser.weights, start, trainer.denoiser.weights):
        np.testing.assert_allclose(np.asarray(e), 0.5 * s + 0.5 * np.asarray(w), rtol=1e-5, atol=1e-6)
    moved = [np.abs(np.asarray(e) - np.asarray(w)).max() for e, w in
             zip(trainer.generator.denoiser.trainable_weights, trainer.denoiser.trainable_weights)]
    assert max(moved) > 0  # the copy lags the trained network


def test_ema_warmup_starts_near_the_trained_weights_and_reaches_the_fixed_decay():
    trainer = _trainer(ema=0.999, warmup=True)
    start = [np.asarray(w) for w in trainer.generator.denoiser.weights]
    images = tf.constant(np.random.default_rng(1).uniform(-1, 1, (4, 8, 8, 1)).astype("float32"))
    trainer.train_step(images)  # step 1: decay 1 / 10
    for e, s, w in zip(trainer.generator.denoiser.weights, start, trainer.denoiser.weights):
        np.testing.assert_allclose(np.asarray(e), 0.1 * s + 0.9 * np.asarray(w), rtol=1e-5, atol=1e-6)
    trainer.denoiser_optimizer.iterations.assign(100000)  # late in training the fixed decay holds
    before = [np.asarray(w) for w in trainer.generator.denoiser.weights]
    trainer.train_step(images)
    for e, b, w in zip(trainer.generator.denoiser.weights, before, trainer.denoiser.weights):
        np.testing.assert_allclose(np.asarray(e), 0.999 * b + 0.001 * np.asarray(w), rtol=1e-5, atol=1e-6)


def test_pixel_statistics_normalise_and_samples_come_back_in_range():
    trainer = _trainer()
    trainer.set_pixel_statistics([0.2], [0.5])
    x = np.full((1, 8, 8, 1), 0.7, "float32")
    np.testing.assert_allclose(np.asarray(trainer.generator.normalize(x)), 1.0, atol=1e-6)
    z = np.random.default_rng(0).standard_normal((2, trainer.latent_dim)).astype("float32")
    y = np.asarray(trainer.sample(z))
    assert y.shape == (2, 8, 8, 1) and y.min() >= -1 and y.max() <= 1


def test_mirror_augmentation_is_on_the_trainer_stream():
    a, b = _trainer(mirror=True), _trainer(mirror=True)
    images = tf.constant(np.random.default_rng(2).uniform(-1, 1, (4, 8, 8, 1)).astype("float32"))
    la, lb = a.train_step(images), b.train_step(images)
    assert float(la["loss"]) == float(lb["loss"])
    with pytest.raises(ValueError, match="unknown loss"):
        DiffusionTrainer(a.denoiser, a.generator, loss="l3")


def test_the_raw_generator_samples_with_the_trained_weights_not_the_ema_copy():
    trainer = _trainer(ema=0.9)
    trainer.set_pixel_statistics([0.1], [0.4])
    images = tf.constant(np.random.default_rng(3).uniform(-1, 1, (4, 8, 8, 1)).astype("float32"))
    for _ in range(3):
        trainer.train_step(images)
    raw = trainer.raw_generator
    for a, b in zip(raw.denoiser.weights, trainer.denoiser.weights):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert float(raw.pixel_std[0]) == pytest.approx(0.4)
    z = np.random.default_rng(0).standard_normal((2, trainer.latent_dim)).astype("float32")
    assert np.abs(np.asarray(raw(z)) - np.asarray(trainer.sample(z))).max() > 0
