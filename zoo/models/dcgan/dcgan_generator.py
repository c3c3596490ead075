"""DCGAN generator: project z to 4x4, then stride-2 transposed convolutions up to the image size."""

from __future__ import annotations

import math

import keras
from keras import layers

from zoo.models.base import BuildByCall

INIT = keras.initializers.RandomNormal(0.0, 0.02)  # the paper's N(0, 0.02) initialisation


def num_upsamplings(image_size: int) -> int:
    n = int(round(math.log2(image_size / 4)))
    if image_size < 8 or 4 * 2**n != image_size:
        raise ValueError(f"DCGAN image_size must be 4 * 2^k with k >= 1 (8, 16, 32, 64, 128...), got {image_size}")
    return n


@keras.saving.register_keras_serializable(package="facezoo")
class DCGANGenerator(BuildByCall, keras.Model):
    """z [B, latent_dim] -> images [B, image_size, image_size, channels] in [-1, 1] (tanh).

    Filters halve at each upsampling, from ``base_filters * 2^(k-1)`` at 4x4 (512 for 64 px with the default
    64) to ``base_filters`` before the output layer, as in Radford et al.
    """

    def __init__(self, latent_dim: int = 100, image_size: int = 64, channels: int = 3, base_filters: int = 64,
                 **kwargs):
        super().__init__(**kwargs)
        self.latent_dim, self.image_size, self.channels, self.base_filters = latent_dim, image_size, channels, \
            base_filters
        n = num_upsamplings(image_size)
        f0 = base_filters * 2 ** (n - 1)
        self.project = layers.Dense(4 * 4 * f0, use_bias=False, kernel_initializer=INIT, name="project")
        self.reshape = layers.Reshape((4, 4, f0))
        self.project_norm = layers.BatchNormalization(name="project_bn")
        self.blocks = []
        for i in range(n - 1):
            f = f0 // 2 ** (i + 1)
            self.blocks.append([
                layers.Conv2DTranspose(f, 4, strides=2, padding="same", use_bias=False, kernel_initializer=INIT,
                                       name=f"up{i}"),
                layers.BatchNormalization(name=f"up{i}_bn"),
            ])
        self.to_image = layers.Conv2DTranspose(channels, 4, strides=2, padding="same", kernel_initializer=INIT,
                                               name="to_image")
        # The output stays float32 under a mixed-precision policy.
        self.out_activation = layers.Activation("tanh", dtype="float32", name="tanh")

    def call(self, z, training=False):
        x = self.reshape(self.project(z))
        x = keras.ops.relu(self.project_norm(x, training=training))
        for conv, norm in self.blocks:
            x = keras.ops.relu(norm(conv(x), training=training))
        return self.out_activation(self.to_image(x))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.image_size, self.image_size, self.channels)

    def get_config(self):
        return {"latent_dim": self.latent_dim, "image_size": self.image_size, "channels": self.channels,
                "base_filters": self.base_filters, "name": self.name}
