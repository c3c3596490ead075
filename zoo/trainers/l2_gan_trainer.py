"""L2 GAN (the plain / L2 / WGAN comparison): the plain GAN plus lambda * sum(W^2) over discriminator kernels."""

from __future__ import annotations

import keras
import tensorflow as tf

from zoo.losses.penalties import kernel_variables, l2_weight_penalty
from zoo.trainers.gan_trainer import GANTrainer


@keras.saving.register_keras_serializable(package="facezoo")
class L2GANTrainer(GANTrainer):
    """``GANTrainer`` whose discriminator loss adds ``l2_weight * sum(W^2)`` over the discriminator's kernels
    (dense and convolution weights; not biases or norm parameters). Logs the term as ``l2``."""

    def __init__(self, generator, discriminator, seed: int = 0, l2_weight: float = 0.02, **kwargs):
        super().__init__(generator, discriminator, seed=seed, **kwargs)
        if l2_weight < 0:
            raise ValueError(f"l2_weight must be >= 0, got {l2_weight}")
        self.l2_weight = float(l2_weight)
        self.trackers["l2"] = keras.metrics.Mean(name="l2")

    def weight_penalty(self):
        """lambda * sum(W^2) over the discriminator kernels (scalar, float32)."""
        return l2_weight_penalty(kernel_variables(self.discriminator), self.l2_weight)

    def discriminator_penalty(self, real, fake):
        penalty = self.weight_penalty()
        self.trackers["l2"].update_state(penalty)
        # The replicas' gradients are summed, so each adds its share of the one penalty.
        return penalty / tf.distribute.get_strategy().num_replicas_in_sync

    def get_config(self):
        return {**super().get_config(), "l2_weight": self.l2_weight}
