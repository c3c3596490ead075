"""Sinusoidal embedding of a scalar noise level (Vaswani et al.'s positional encoding, as NeRF's Fourier features)."""

from __future__ import annotations

import math

import keras


@keras.saving.register_keras_serializable(package="facezoo")
class SinusoidalEmbedding(keras.layers.Layer):
    """x [..., 1] -> [..., dims]: ``sin(2 pi f x)`` then ``cos(2 pi f x)`` for ``dims / 2`` frequencies f spaced
    logarithmically from ``min_frequency`` to ``max_frequency`` (keras.io DDIM: 32 dims, 1 to 1000, on the noise
    variance in [0, 1], so the smallest change it resolves is about 1e-3)."""

    def __init__(self, dims: int = 32, min_frequency: float = 1.0, max_frequency: float = 1000.0, **kwargs):
        super().__init__(**kwargs)
        if dims < 2 or dims % 2:
            raise ValueError(f"dims must be an even number >= 2, got {dims}")
        if not 0 < min_frequency <= max_frequency:
            raise ValueError(f"need 0 < min_frequency <= max_frequency, got {min_frequency}, {max_frequency}")
        self.dims, self.min_frequency, self.max_frequency = dims, float(min_frequency), float(max_frequency)

    def call(self, x):
        frequencies = keras.ops.exp(keras.ops.linspace(math.log(self.min_frequency), math.log(self.max_frequency),
                                                       self.dims // 2))
        angles = 2.0 * math.pi * keras.ops.cast(frequencies, x.dtype) * x
        return keras.ops.concatenate([keras.ops.sin(angles), keras.ops.cos(angles)], axis=-1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.dims,)

    def get_config(self):
        return {**super().get_config(), "dims": self.dims, "min_frequency": self.min_frequency,
                "max_frequency": self.max_frequency}
