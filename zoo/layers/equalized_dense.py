"""Dense layer with the equalized learning rate of Karras et al. (2018)."""

from __future__ import annotations

import math

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="facezoo")
class EqualizedDense(keras.layers.Layer):
    """x [..., fan_in] -> [..., units]. The stored kernel is drawn from N(0, 1 / lr_multiplier) and multiplied at
    run time by the He constant ``gain / sqrt(fan_in)`` (times ``lr_multiplier``), so that Adam's per-weight
    step sizes are the same for every layer. The bias is stored divided by ``lr_multiplier`` likewise.

    ``lr_multiplier`` < 1 slows a layer down (0.01 in StyleGAN's mapping network).
    """

    def __init__(self, units: int, gain: float = math.sqrt(2.0), lr_multiplier: float = 1.0, use_bias: bool = True,
                 bias_init: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        if units < 1:
            raise ValueError(f"EqualizedDense units must be positive, got {units}")
        self.units, self.gain, self.lr_multiplier = int(units), float(gain), float(lr_multiplier)
        self.use_bias, self.bias_init = bool(use_bias), float(bias_init)

    def build(self, input_shape):
        fan_in = int(input_shape[-1])
        self.kernel = self.add_weight(shape=(fan_in, self.units), name="kernel",
                                      initializer=keras.initializers.RandomNormal(0.0, 1.0 / self.lr_multiplier))
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.units,), name="bias",
                                        initializer=keras.initializers.Constant(self.bias_init / self.lr_multiplier))
        self.scale = self.gain / math.sqrt(fan_in) * self.lr_multiplier

    def call(self, x):
        y = ops.matmul(x, self.kernel * ops.cast(self.scale, self.kernel.dtype))
        if self.use_bias:
            y = y + self.bias * ops.cast(self.lr_multiplier, self.bias.dtype)
        return y

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "gain": self.gain,
                "lr_multiplier": self.lr_multiplier, "use_bias": self.use_bias, "bias_init": self.bias_init}
