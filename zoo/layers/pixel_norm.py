"""Pixelwise feature normalisation (Karras et al. 2018)."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="facezoo")
class PixelNorm(keras.layers.Layer):
    """x / sqrt(mean(x^2 over the last axis) + epsilon): each pixel's (or latent's) feature vector to unit RMS.
    Computed in float32 under mixed precision, returned in the input dtype."""

    def __init__(self, epsilon: float = 1e-8, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    def call(self, x):
        x32 = ops.cast(x, "float32")
        y = x32 * ops.rsqrt(ops.mean(ops.square(x32), axis=-1, keepdims=True) + self.epsilon)
        return ops.cast(y, x.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}
