"""Adaptive instance normalisation driven by a style vector (StyleGAN, Karras et al. 2019)."""

from __future__ import annotations

import keras
from keras import ops

from zoo.layers.equalized_dense import EqualizedDense


def instance_norm(x, epsilon: float = 1e-8):
    """x [B, H, W, C] -> (x - mean) / sqrt(var + epsilon) over H, W per example and channel, in x's dtype.

    One pixel's value is subtracted first (the shifted-data variance): the same function, but the centring no
    longer cancels catastrophically on a nearly constant map. Without the shift, x - mean(x) holds rounding noise of
    the size of ulp(mean), which the normalisation divides by sqrt(var + 1e-8) ~ 1e-4, so that the output depends
    on each runtime's summation order (export parity 5e-3 on StyleGAN's flat learned constant)."""
    x = x - x[:, :1, :1, :]  # exact (Sterbenz) for values within 2x of the pivot: a flat map becomes exactly 0
    centred = x - ops.mean(x, axis=(1, 2), keepdims=True)
    var = ops.mean(ops.square(centred), axis=(1, 2), keepdims=True)
    return centred * ops.rsqrt(var + ops.cast(epsilon, x.dtype))


@keras.saving.register_keras_serializable(package="facezoo")
class AdaIN(keras.layers.Layer):
    """``[x [B, H, W, C], w [B, w_dim]]`` -> x normalised per example and channel (instance norm) then
    ``(1 + y_s) * x + y_b`` with ``(y_s, y_b)`` a learned affine map (equalized dense, gain 1) of w.

    The statistics are computed in float32 under mixed precision (``instance_norm``).
    """

    def __init__(self, epsilon: float = 1e-8, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        x_shape, w_shape = input_shape
        self.channels = int(x_shape[-1])
        self.style = EqualizedDense(2 * self.channels, gain=1.0, name="style")
        self.style.build(w_shape)

    def call(self, inputs, normalized=False):
        """``normalized``: x is already ``instance_norm``-ed (StyleGAN's constant layer does it in float64)."""
        x, w = inputs
        x32 = ops.cast(x, "float32")
        if not normalized:
            x32 = instance_norm(x32, self.epsilon)
        style = ops.cast(self.style(w), "float32")
        ys = ops.reshape(style[:, : self.channels], (-1, 1, 1, self.channels))
        yb = ops.reshape(style[:, self.channels:], (-1, 1, 1, self.channels))
        return ops.cast((1.0 + ys) * x32 + yb, x.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}
