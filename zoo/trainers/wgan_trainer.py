"""WGAN with weight clipping (Arjovsky et al. 2017): the GAN step with Wasserstein losses, n_critic critic
updates per generator update, every critic weight clipped after each critic update."""

from __future__ import annotations

import keras
import tensorflow as tf

from zoo.losses import adversarial
from zoo.losses.penalties import clip_weights
from zoo.trainers.gan_trainer import GANTrainer


@keras.saving.register_keras_serializable(package="facezoo")
class WGANTrainer(GANTrainer):
    """``GANTrainer`` with a linear critic: loss f(G(z)) - f(x), generator loss -f(G(z)), trainable critic
    weights clipped to [-clip_value, clip_value]. d_real / d_fake log the mean critic scores."""

    def __init__(self, generator, discriminator, seed: int = 0, clip_value: float = 0.01, n_critic: int = 5,
                 **kwargs):
        super().__init__(generator, discriminator, seed=seed, **kwargs)
        if clip_value <= 0:
            raise ValueError(f"clip_value must be positive, got {clip_value}")
        if n_critic < 1:
            raise ValueError(f"n_critic must be at least 1, got {n_critic}")
        self.clip_value, self.n_critic = float(clip_value), int(n_critic)

    def discriminator_loss(self, real_logits, fake_logits):
        return adversarial.wasserstein_critic_loss(real_logits, fake_logits)

    def generator_loss(self, fake_logits):
        return adversarial.wasserstein_generator_loss(fake_logits)

    def after_discriminator_step(self):
        clip_weights(self.discriminator.trainable_variables, self.clip_value)

    def discriminator_output(self, logits):
        return tf.reduce_mean(tf.cast(logits, tf.float32))

    def optimizer_targets(self):
        # The generator is updated last in a step, so its optimizer's iterations count the steps; with the
        # critic's (n_critic per step) the loop would stop n_critic times too early.
        return {"d_optimizer": self.discriminator, "g_optimizer": self.generator}

    def get_config(self):
        return {**super().get_config(), "clip_value": self.clip_value, "n_critic": self.n_critic}
