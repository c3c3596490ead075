"""Encoder of the small convolutional VAE of the UTKFace latent-size / beta study."""

from __future__ import annotations

import keras
from keras import layers

from zoo.models.base import BuildByCall
from zoo.models.sides import multiple_of


@keras.saving.register_keras_serializable(package="facezoo")
class ConvVAEEncoder(BuildByCall, keras.Model):
    """images [B, S, S, C] in [-1, 1] -> (mean [B, latent_dim], log_var [B, latent_dim]), float32.

    Three blocks of [3x3 convolution (base_filters x 1, 2, 4), ReLU, 2x2 max-pool, batch norm], then for each
    of mean and log-variance a widened prediction network: Dense(dense_units) + ReLU, Dense(latent_dim).
    ``image_size`` a multiple of 8 (48 in the study). ``log_var_limit`` L > 0 bounds the log-variance softly,
    ``L * tanh(log_var / L)`` (not in the study: 0, its unbounded output, is the default). At a small KL weight a
    few outlier faces can otherwise reach log-variances of +14, whose samples (std ~1,100) send the loss to
    non-finite values; a bound of 10 (std <= 148) leaves every ordinary face's output unchanged to 1 %.
    """

    def __init__(self, image_size: int = 48, channels: int = 1, latent_dim: int = 4, base_filters: int = 32,
                 dense_units: int = 512, log_var_limit: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        multiple_of(image_size, 8, "ConvVAEEncoder")
        self.image_size, self.channels, self.latent_dim = image_size, channels, latent_dim
        if log_var_limit < 0:
            raise ValueError(f"log_var_limit must be >= 0 (0: unbounded), got {log_var_limit}")
        self.base_filters, self.dense_units, self.log_var_limit = base_filters, dense_units, float(log_var_limit)
        self.blocks = [(layers.Conv2D(base_filters * 2**i, 3, padding="same", name=f"conv{i}"),
                        layers.MaxPooling2D(2, name=f"pool{i}"), layers.BatchNormalization(name=f"bn{i}"))
                       for i in range(3)]
        self.flatten = layers.Flatten()
        self.mean_hidden = layers.Dense(dense_units, activation="relu", name="mean_hidden")
        self.mean = layers.Dense(latent_dim, dtype="float32", name="mean")
        self.log_var_hidden = layers.Dense(dense_units, activation="relu", name="log_var_hidden")
        self.log_var = layers.Dense(latent_dim, dtype="float32", name="log_var")

    def call(self, images, training=False):
        x = images
        for conv, pool, norm in self.blocks:
            x = norm(pool(keras.ops.relu(conv(x))), training=training)
        x = self.flatten(x)
        log_var = self.log_var(self.log_var_hidden(x))
        if self.log_var_limit > 0:
            log_var = self.log_var_limit * keras.ops.tanh(log_var / self.log_var_limit)
        return self.mean(self.mean_hidden(x)), log_var

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.latent_dim), (input_shape[0], self.latent_dim)

    def get_config(self):
        return {"image_size": self.image_size, "channels": self.channels, "latent_dim": self.latent_dim,
                "base_filters": self.base_filters, "dense_units": self.dense_units, "name": self.name,
                **({"log_var_limit": self.log_var_limit} if self.log_var_limit else {})}
