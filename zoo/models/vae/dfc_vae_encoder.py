"""Encoder of Hou et al.'s deep feature consistent VAE."""

from __future__ import annotations

import keras
from keras import layers

from zoo.models.base import BuildByCall
from zoo.models.sides import multiple_of


@keras.saving.register_keras_serializable(package="facezoo")
class DFCVAEEncoder(BuildByCall, keras.Model):
    """images [B, S, S, C] in [-1, 1] -> (mean [B, latent_dim], log_var [B, latent_dim]), float32.

    Four 4x4 stride-2 convolutions with base_filters x (1, 2, 4, 8) filters (32/64/128/256), each with batch
    norm and LeakyReLU(0.2), then two dense heads on the flattened features: the posterior mean and
    log-variance. ``image_size`` a multiple of 16.
    """

    def __init__(self, image_size: int = 64, channels: int = 3, latent_dim: int = 100, base_filters: int = 32,
                 **kwargs):
        super().__init__(**kwargs)
        multiple_of(image_size, 16, "DFCVAEEncoder")
        self.image_size, self.channels, self.latent_dim, self.base_filters = image_size, channels, latent_dim, \
            base_filters
        self.blocks = [(layers.Conv2D(base_filters * 2**i, 4, strides=2, padding="same", name=f"conv{i}"),
                        layers.BatchNormalization(name=f"bn{i}")) for i in range(4)]
        self.flatten = layers.Flatten()
        self.mean = layers.Dense(latent_dim, dtype="float32", name="mean")
        self.log_var = layers.Dense(latent_dim, dtype="float32", name="log_var")

    def call(self, images, training=False):
        x = images
        for conv, norm in self.blocks:
            x = keras.ops.leaky_relu(norm(conv(x), training=training), 0.2)
        x = self.flatten(x)
        return self.mean(x), self.log_var(x)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.latent_dim), (input_shape[0], self.latent_dim)

    def get_config(self):
        return {"image_size": self.image_size, "channels": self.channels, "latent_dim": self.latent_dim,
                "base_filters": self.base_filters, "name": self.name}
