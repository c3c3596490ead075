"""The VAE reparameterisation: z = mean + exp(log_var / 2) * eps with seeded noise."""

from __future__ import annotations

import keras

from zoo.utils.random import ReplicaSeedGenerator


@keras.saving.register_keras_serializable(package="facezoo")
class GaussianSampling(keras.layers.Layer):
    """(mean [B, d], log_var [B, d]) -> z [B, d] drawn from N(mean, exp(log_var)), differentiable in both.

    The noise comes from a ``keras.random.SeedGenerator`` whose state is a variable, so a checkpointed run
    resumes the same noise sequence.
    """

    def __init__(self, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = ReplicaSeedGenerator(seed, name="seed_generator")  # different noise per replica

    def call(self, mean, log_var):
        eps = keras.random.normal(keras.ops.shape(mean), seed=self.seed_generator, dtype="float32")
        mean = keras.ops.cast(mean, "float32")
        return mean + keras.ops.exp(0.5 * keras.ops.cast(log_var, "float32")) * eps

    def compute_output_shape(self, mean_shape, log_var_shape=None):
        return mean_shape

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}
