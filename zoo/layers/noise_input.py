"""Per-layer noise input of StyleGAN: a single-channel Gaussian image scaled by a learned per-channel weight."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="facezoo")
class NoiseInput(keras.layers.Layer):
    """x [B, H, W, C] -> x + weight[C] * noise[B, H, W, 1]. ``weight`` starts at zero (StyleGAN).

    ``call(x, noise=None, randomize=True)``: ``noise`` given explicitly is used as is; otherwise fresh N(0, 1)
    noise is drawn from the layer's seeded generator when ``randomize``, and no noise is added when not
    (deterministic outputs for tests and fixed sample grids).
    """

    def __init__(self, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        self.weight = self.add_weight(shape=(int(input_shape[-1]),), name="weight", initializer="zeros")

    def call(self, x, noise=None, randomize=True):
        if noise is None:
            if not randomize:
                return x
            shape = ops.shape(x)
            noise = keras.random.normal((shape[0], shape[1], shape[2], 1), seed=self.seed_generator)
        return x + ops.cast(noise, x.dtype) * self.weight

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}
