"""Per-layer noise input of StyleGAN: a single-channel Gaussian image scaled by a learned per-channel weight."""

from __future__ import annotations

import keras
from keras import ops

from zoo.utils.random import ReplicaSeedGenerator


@keras.saving.register_keras_serializable(package="facezoo")
class NoiseInput(keras.layers.Layer):
    """x [B, H, W, C] -> x + weight[C] * noise[B, H, W, 1]. ``weight`` starts at zero (StyleGAN).

    ``call(x, noise=None, randomize=True)``: ``noise`` given explicitly is used as is; otherwise fresh N(0, 1)
    noise is drawn from the layer's seeded generator when ``randomize``, and when not the layer's fixed noise image
    ``noise_buffer`` [1, H, W, 1] (N(0, 1) drawn once at build, stored with the weights, not trained) is used for
    every example: the reference's ``noise_inputs`` variables, so a deterministic output is still a sample of the
    trained distribution (with noise), not a noise-free image. Pass ``noise=zeros`` for no noise at all.
    """

    def __init__(self, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = ReplicaSeedGenerator(seed)  # different noise on every replica

    def build(self, input_shape):
        height, width = input_shape[1], input_shape[2]
        if height is None or width is None:
            raise ValueError(f"{self.name}: NoiseInput needs a static height and width, got {tuple(input_shape)}")
        self.weight = self.add_weight(shape=(int(input_shape[-1]),), name="weight", initializer="zeros")
        self.noise_buffer = self.add_weight(shape=(1, int(height), int(width), 1), name="noise_buffer",
                                            initializer=keras.initializers.RandomNormal(0.0, 1.0, seed=self.seed),
                                            trainable=False)

    def noise_image(self, x, randomize=True):
        """The noise ``call`` adds to x [B, H, W, C]: fresh [B, H, W, 1] or the stored [1, H, W, 1] (float32)."""
        if randomize:
            shape = ops.shape(x)
            return keras.random.normal((shape[0], shape[1], shape[2], 1), seed=self.seed_generator)
        return ops.convert_to_tensor(self.noise_buffer)

    def call(self, x, noise=None, randomize=True):
        noise = self.noise_image(x, randomize) if noise is None else noise
        return x + ops.cast(noise, x.dtype) * ops.cast(self.weight, x.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}
