"""DCGAN-shaped critic with layer norm instead of batch norm and a linear score (WGAN-GP)."""

from __future__ import annotations

import keras
from keras import layers

from zoo.models.base import BuildByCall
from zoo.models.dcgan.dcgan_generator import dcgan_initializer, num_upsamplings


@keras.saving.register_keras_serializable(package="facezoo")
class LayerNormCritic(BuildByCall, keras.Model):
    """images [B, S, S, C] in [-1, 1] -> scores [B, 1] (linear, float32).

    The DCGAN discriminator's stride-2 4x4 convolutions (filters doubling from ``base_filters``), LeakyReLU
    (0.2), with layer norm over (H, W, C) after all but the first: the gradient penalty is per example, and
    batch norm would couple the examples of a batch (Gulrajani et al., section 4).
    """

    def __init__(self, image_size: int = 64, channels: int = 3, base_filters: int = 64, **kwargs):
        super().__init__(**kwargs)
        self.image_size, self.channels, self.base_filters = image_size, channels, base_filters
        n = num_upsamplings(image_size)
        self.blocks = []
        for i in range(n):
            conv = layers.Conv2D(base_filters * 2**i, 4, strides=2, padding="same",
                                 kernel_initializer=dcgan_initializer(), name=f"down{i}")
            norm = layers.LayerNormalization(axis=(1, 2, 3), name=f"down{i}_ln") if i > 0 else None
            self.blocks.append((conv, norm))
        self.to_score = layers.Conv2D(1, 4, padding="valid", kernel_initializer=dcgan_initializer(), name="to_score")
        self.flatten = layers.Flatten(dtype="float32")

    def call(self, images, training=False):
        x = images
        for conv, norm in self.blocks:
            x = conv(x)
            if norm is not None:
                x = norm(x)
            x = keras.ops.leaky_relu(x, 0.2)
        return keras.ops.cast(self.flatten(self.to_score(x)), "float32")

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 1)

    def get_config(self):
        return {"image_size": self.image_size, "channels": self.channels, "base_filters": self.base_filters,
                "name": self.name}
