"""Discriminator / critic of the plain / L2 / WGAN comparison (Cheng et al.)."""

from __future__ import annotations

import keras
from keras import layers

from zoo.models.base import BuildByCall

NORMS = ("batch", "layer", "none")


@keras.saving.register_keras_serializable(package="facezoo")
class UpsampleConvDiscriminator(BuildByCall, keras.Model):
    """images [B, S, S, C] in [-1, 1] -> scores [B, 1] (float32).

    3x3 stride-2 convolutions with base_filters x (1, 2, 4, 8, 16) filters (32/64/128/256/512 in the paper),
    each followed by ``norm`` and LeakyReLU(0.2), then Dense 1. With ``output_norm`` the score goes through a
    batch norm as in the paper (its sigmoid lives in the loss); a WGAN critic uses ``output_norm=False`` for a
    linear score, and WGAN-GP ``norm="layer"`` because batch norm breaks the per-example gradient penalty.

    ``batch_norm_epsilon``: Keras' 1e-3 by default (configs saved before the field had it). Torch's 1e-5, which the
    WGAN reference code trains with, matters under weight clipping: gamma clipped to 0.01 leaves each layer's
    variance far below 1e-3, so with Keras' epsilon every batch norm shrinks the signal instead of normalising it.
    """

    def __init__(self, image_size: int = 96, channels: int = 3, base_filters: int = 32, norm: str = "batch",
                 output_norm: bool = True, batch_norm_epsilon: float = 1e-3, **kwargs):
        super().__init__(**kwargs)
        if norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
        if image_size < 4:
            raise ValueError(f"image_size must be at least 4, got {image_size}")
        self.image_size, self.channels, self.base_filters = image_size, channels, base_filters
        self.norm, self.output_norm = norm, output_norm
        if not batch_norm_epsilon > 0:
            raise ValueError(f"batch_norm_epsilon must be positive, got {batch_norm_epsilon}")
        self.batch_norm_epsilon = float(batch_norm_epsilon)
        self.blocks = []
        for i in range(5):
            conv = layers.Conv2D(base_filters * 2**i, 3, strides=2, padding="same", kernel_initializer="he_normal",
                                 name=f"conv{i}")
            if norm == "batch":
                n = layers.BatchNormalization(epsilon=self.batch_norm_epsilon, name=f"bn{i}")
            elif norm == "layer":
                n = layers.LayerNormalization(axis=(1, 2, 3), name=f"ln{i}")
            else:
                n = None
            self.blocks.append((conv, n))
        self.flatten = layers.Flatten()
        self.to_score = layers.Dense(1, kernel_initializer="he_normal", name="to_score")
        self.score_norm = (layers.BatchNormalization(epsilon=self.batch_norm_epsilon, name="score_bn") if output_norm
                           else None)

    def call(self, images, training=False):
        x = images
        for conv, norm in self.blocks:
            x = conv(x)
            if norm is not None:
                x = norm(x, training=training)
            x = keras.ops.leaky_relu(x, 0.2)
        x = self.to_score(self.flatten(x))
        if self.score_norm is not None:
            x = self.score_norm(x, training=training)
        return keras.ops.cast(x, "float32")

    @property
    def score_batch_norm(self) -> bool:
        """The score is batch-normalised: trainers must call this discriminator on real and fake together."""
        return self.score_norm is not None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 1)

    def get_config(self):
        return {"image_size": self.image_size, "channels": self.channels, "base_filters": self.base_filters,
                "norm": self.norm, "output_norm": self.output_norm, "batch_norm_epsilon": self.batch_norm_epsilon,
                "name": self.name}
