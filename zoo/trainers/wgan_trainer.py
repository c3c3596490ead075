"""WGAN with weight clipping (Arjovsky et al. 2017): the GAN step with Wasserstein losses, n_critic critic
updates per generator update, every critic weight clipped after each critic update; optionally the reference
code's warm-up (100 critic updates for the first 25 generator steps and every 500th)."""

from __future__ import annotations

import keras
import tensorflow as tf

from zoo.losses import adversarial
from zoo.losses.penalties import clip_weights
from zoo.trainers.gan_trainer import GANTrainer

WARMUP_CRITIC_ITERATIONS, WARMUP_STEPS, WARMUP_EVERY = 100, 25, 500  # martinarjovsky/WassersteinGAN main.py


def critic_iterations(step, n_critic: int, warmup: bool):
    """Critic updates at generator step ``step`` (int or int tensor): with ``warmup`` 100 for the first 25 steps
    and every 500th, as in the reference WGAN code (to train the critic near optimality), else n_critic."""
    if not warmup:
        return n_critic
    if isinstance(step, int):
        warm = step < WARMUP_STEPS or step % WARMUP_EVERY == 0
        return WARMUP_CRITIC_ITERATIONS if warm else n_critic
    step = tf.cast(step, tf.int64)
    warm = tf.logical_or(step < WARMUP_STEPS, step % WARMUP_EVERY == 0)
    return tf.where(warm, tf.constant(WARMUP_CRITIC_ITERATIONS, tf.int64), tf.constant(n_critic, tf.int64))


@keras.saving.register_keras_serializable(package="facezoo")
class WGANTrainer(GANTrainer):
    """``GANTrainer`` with a linear critic: loss f(G(z)) - f(x), generator loss -f(G(z)), trainable critic
    weights clipped to [-clip_value, clip_value]. d_real / d_fake log the mean critic scores.

    ``warmup``: the reference code's schedule (``critic_iterations``); a step's batch then holds
    ``real_batches_schedule()(step)`` batches of B (100 B or n_critic B), each critic update taking a fresh one.
    The steps have two shapes, so it runs without XLA.
    """

    def __init__(self, generator, discriminator, seed: int = 0, clip_value: float = 0.01, n_critic: int = 5,
                 warmup: bool = False, **kwargs):
        super().__init__(generator, discriminator, seed=seed, **kwargs)
        if clip_value <= 0:
            raise ValueError(f"clip_value must be positive, got {clip_value}")
        if n_critic < 1:
            raise ValueError(f"n_critic must be at least 1, got {n_critic}")
        self.clip_value, self.n_critic, self.warmup = float(clip_value), int(n_critic), bool(warmup)

    def real_batches_schedule(self):
        """None (every step takes ``real_batches_per_step`` batches) or, with ``warmup``, step -> real batches
        (int64 tensor in, int64 tensor out) for the data pipeline."""
        if not self.warmup:
            return None
        return lambda step: critic_iterations(step, self.n_critic, True)

    def train_step(self, data):
        if not self.warmup:
            return super().train_step(data)
        real = data[0] if isinstance(data, (tuple, list)) else data
        k = tf.cast(critic_iterations(self.g_optimizer.iterations, self.n_critic, True), tf.int32)
        b = tf.shape(real)[0] // k

        def critic_update(i, *_):
            d_loss, real_scores, fake_scores = self.discriminator_step(real[i * b:(i + 1) * b])
            return (i + 1, tf.cast(d_loss, tf.float32), self.discriminator_output(real_scores),
                    self.discriminator_output(fake_scores))

        zero = tf.constant(0.0, tf.float32)
        _, d_loss, d_real, d_fake = tf.while_loop(lambda i, *_: i < k, critic_update,
                                                  (tf.constant(0, tf.int32), zero, zero, zero))
        g_loss = self.generator_step(real[(k - 1) * b:])
        return self.track(d_loss, g_loss, d_real, d_fake)

    def discriminator_loss(self, real_logits, fake_logits):
        return adversarial.wasserstein_critic_loss(real_logits, fake_logits)

    def generator_loss(self, fake_logits):
        return adversarial.wasserstein_generator_loss(fake_logits)

    def after_discriminator_step(self):
        clip_weights(self.discriminator.trainable_variables, self.clip_value)

    def discriminator_output(self, logits):
        return tf.reduce_mean(tf.cast(logits, tf.float32))

    def get_config(self):
        return {**super().get_config(), "clip_value": self.clip_value, "n_critic": self.n_critic,
                "warmup": self.warmup}
