"""2-D convolution with the equalized learning rate of Karras et al. (2018)."""

from __future__ import annotations

import math

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="facezoo")
class EqualizedConv2D(keras.layers.Layer):
    """x [B, H, W, C_in] -> [B, H, W, filters], stride 1, 'same' padding. Kernel stored as N(0, 1) and multiplied at
    run time by the He constant ``gain / sqrt(kernel_size^2 * C_in)``."""

    def __init__(self, filters: int, kernel_size: int = 3, gain: float = math.sqrt(2.0), use_bias: bool = True,
                 **kwargs):
        super().__init__(**kwargs)
        if filters < 1 or kernel_size < 1:
            raise ValueError(f"EqualizedConv2D needs positive filters and kernel_size, got {filters}, {kernel_size}")
        self.filters, self.kernel_size, self.gain, self.use_bias = int(filters), int(kernel_size), float(gain), \
            bool(use_bias)

    def build(self, input_shape):
        fan_in = self.kernel_size * self.kernel_size * int(input_shape[-1])
        self.kernel = self.add_weight(shape=(self.kernel_size, self.kernel_size, int(input_shape[-1]), self.filters),
                                      name="kernel", initializer=keras.initializers.RandomNormal(0.0, 1.0))
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.filters,), name="bias", initializer="zeros")
        self.scale = self.gain / math.sqrt(fan_in)

    def call(self, x):
        y = ops.conv(x, self.kernel * ops.cast(self.scale, self.kernel.dtype), strides=1, padding="same")
        if self.use_bias:
            y = y + self.bias
        return y

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "gain": self.gain, "use_bias": self.use_bias}
