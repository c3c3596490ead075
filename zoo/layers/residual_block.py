"""The residual block of the keras.io DDIM U-Net: batch norm (no centre or scale), 3x3 conv + swish, 3x3 conv,
plus the input (through a 1x1 conv when the width changes)."""

from __future__ import annotations

import keras
from keras import layers


@keras.saving.register_keras_serializable(package="facezoo")
class ResidualBlock(keras.layers.Layer):
    """x [B, H, W, C] -> [B, H, W, width]."""

    def __init__(self, width: int, **kwargs):
        super().__init__(**kwargs)
        self.width = int(width)
        self.norm = layers.BatchNormalization(center=False, scale=False, name="norm")
        self.conv1 = layers.Conv2D(width, 3, padding="same", activation="swish", name="conv1")
        self.conv2 = layers.Conv2D(width, 3, padding="same", name="conv2")
        self.project = None

    def build(self, input_shape):
        if input_shape[-1] != self.width:
            self.project = layers.Conv2D(self.width, 1, name="project")
            self.project.build(input_shape)
        self.norm.build(input_shape)
        self.conv1.build(input_shape)
        self.conv2.build(tuple(input_shape[:-1]) + (self.width,))

    def call(self, x, training=False):
        residual = x if self.project is None else self.project(x)
        return self.conv2(self.conv1(self.norm(x, training=training))) + residual

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.width,)

    def get_config(self):
        return {**super().get_config(), "width": self.width}
