"""Adaptive instance normalisation driven by a style vector (StyleGAN, Karras et al. 2019)."""

from __future__ import annotations

import keras
from keras import ops

from zoo.layers.equalized_dense import EqualizedDense


@keras.saving.register_keras_serializable(package="facezoo")
class AdaIN(keras.layers.Layer):
    """``[x [B, H, W, C], w [B, w_dim]]`` -> x normalised per example and channel (instance norm) then
    ``(1 + y_s) * x + y_b`` with ``(y_s, y_b)`` a learned affine map (equalized dense, gain 1) of w.

    The statistics are computed in float32 under mixed precision.
    """

    def __init__(self, epsilon: float = 1e-8, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        x_shape, w_shape = input_shape
        self.channels = int(x_shape[-1])
        self.style = EqualizedDense(2 * self.channels, gain=1.0, name="style")
        self.style.build(w_shape)

    def call(self, inputs):
        x, w = inputs
        x32 = ops.cast(x, "float32")
        mean = ops.mean(x32, axis=(1, 2), keepdims=True)
        var = ops.mean(ops.square(x32 - mean), axis=(1, 2), keepdims=True)
        x32 = (x32 - mean) * ops.rsqrt(var + self.epsilon)
        style = ops.cast(self.style(w), "float32")
        ys = ops.reshape(style[:, : self.channels], (-1, 1, 1, self.channels))
        yb = ops.reshape(style[:, self.channels:], (-1, 1, 1, self.channels))
        return ops.cast((1.0 + ys) * x32 + yb, x.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}
