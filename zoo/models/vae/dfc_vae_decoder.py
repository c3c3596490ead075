"""Decoder of Hou et al.'s deep feature consistent VAE."""

from __future__ import annotations

import keras
from keras import layers

from zoo.models.base import BuildByCall
from zoo.models.sides import multiple_of


@keras.saving.register_keras_serializable(package="facezoo")
class DFCVAEDecoder(BuildByCall, keras.Model):
    """z [B, latent_dim] -> images [B, image_size, image_size, channels] in [-1, 1] (tanh).

    Dense to (S/16) x (S/16) x (8 * base_filters) (4x4x256 at 64 px), then three blocks of nearest-neighbour
    upsampling x2, 3x3 convolution (base_filters x 4, 2, 1), batch norm and LeakyReLU(0.2), and a last
    upsampling + 3x3 convolution to ``channels``.
    """

    def __init__(self, latent_dim: int = 100, image_size: int = 64, channels: int = 3, base_filters: int = 32,
                 **kwargs):
        super().__init__(**kwargs)
        s = multiple_of(image_size, 16, "DFCVAEDecoder")
        self.latent_dim, self.image_size, self.channels, self.base_filters = latent_dim, image_size, channels, \
            base_filters
        self.project = layers.Dense(s * s * 8 * base_filters, name="project")
        self.reshape = layers.Reshape((s, s, 8 * base_filters))
        self.blocks = [(layers.UpSampling2D(2, name=f"up{i}"),
                        layers.Conv2D(base_filters * 2 ** (2 - i), 3, padding="same", name=f"conv{i}"),
                        layers.BatchNormalization(name=f"bn{i}")) for i in range(3)]
        self.up_last = layers.UpSampling2D(2, name="up_last")
        self.to_image = layers.Conv2D(channels, 3, padding="same", name="to_image")
        self.out_activation = layers.Activation("tanh", dtype="float32", name="tanh")

    def call(self, z, training=False):
        x = self.reshape(self.project(z))
        for up, conv, norm in self.blocks:
            x = keras.ops.leaky_relu(norm(conv(up(x)), training=training), 0.2)
        return self.out_activation(self.to_image(self.up_last(x)))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.image_size, self.image_size, self.channels)

    def get_config(self):
        return {"latent_dim": self.latent_dim, "image_size": self.image_size, "channels": self.channels,
                "base_filters": self.base_filters, "name": self.name}
