"""WGAN-GP (Gulrajani et al. 2017): Wasserstein losses plus a gradient penalty on random interpolates."""

from __future__ import annotations

import keras
import tensorflow as tf

from zoo.losses import adversarial
from zoo.losses.penalties import gradient_penalty
from zoo.trainers.gan_trainer import GANTrainer
from zoo.utils.random import ReplicaSeedGenerator, derive_seed


@keras.saving.register_keras_serializable(package="facezoo")
class WGANGPTrainer(GANTrainer):
    """``GANTrainer`` with Wasserstein losses, n_critic critic updates per generator update and the penalty
    ``gp_weight * (||grad f(x_hat)|| - 1)^2`` with one uniform epsilon per example, computed in float32.
    Logs ``gp`` (the mean penalty) besides the GAN metrics; d_real / d_fake are mean critic scores."""

    def __init__(self, generator, discriminator, seed: int = 0, gp_weight: float = 10.0, n_critic: int = 5,
                 **kwargs):
        super().__init__(generator, discriminator, seed=seed, **kwargs)
        if n_critic < 1:
            raise ValueError(f"n_critic must be at least 1, got {n_critic}")
        self.gp_weight, self.n_critic = float(gp_weight), int(n_critic)
        self.trackers["gp"] = keras.metrics.Mean(name="gp")
        self.epsilon_generator = ReplicaSeedGenerator(derive_seed(seed, "gradient_penalty"),
                                                      name="epsilon_generator")

    def discriminator_loss(self, real_logits, fake_logits):
        return adversarial.wasserstein_critic_loss(real_logits, fake_logits)

    def generator_loss(self, fake_logits):
        return adversarial.wasserstein_generator_loss(fake_logits)

    def discriminator_penalty(self, real, fake):
        epsilon = keras.random.uniform((tf.shape(real)[0],), seed=self.epsilon_generator)
        per_example = gradient_penalty(self.discriminator, real, fake, epsilon, self.gp_weight,
                                       self.loss_scale(self.d_optimizer))
        penalty = self.reduce_loss(per_example)
        self.trackers["gp"].update_state(penalty * tf.distribute.get_strategy().num_replicas_in_sync)
        return penalty

    def discriminator_output(self, logits):
        return tf.reduce_mean(tf.cast(logits, tf.float32))

    def get_config(self):
        return {**super().get_config(), "gp_weight": self.gp_weight, "n_critic": self.n_critic}
