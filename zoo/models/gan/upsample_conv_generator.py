"""Upsample-convolution generator of the plain / L2 / WGAN comparison (Cheng et al.)."""

from __future__ import annotations

import keras
from keras import layers

from zoo.models.base import BuildByCall
from zoo.models.sides import multiple_of

NUM_UPSAMPLINGS = 4


def start_size(image_size: int) -> int:
    return multiple_of(image_size, 2**NUM_UPSAMPLINGS, "UpsampleConvGenerator")


@keras.saving.register_keras_serializable(package="facezoo")
class UpsampleConvGenerator(BuildByCall, keras.Model):
    """z [B, latent_dim] -> images [B, image_size, image_size, channels] in [-1, 1].

    Dense to s x s x (2 * base_filters) with s = image_size / 16 (4x4x256 at 64 px, 6x6x256 at the paper's 96
    px), then [3x3 conv 2*base_filters, upsample x2, BN, ReLU] x 3, [3x3 conv base_filters, upsample x2, BN,
    ReLU], [3x3 conv base_filters, BN, ReLU], [3x3 conv channels, BN, sigmoid]; He-normal initialisation.
    The sigmoid's [0, 1] is mapped to [-1, 1] (2 * sigmoid - 1) so it matches the zoo's image range.
    """

    def __init__(self, latent_dim: int = 200, image_size: int = 96, channels: int = 3, base_filters: int = 128,
                 **kwargs):
        super().__init__(**kwargs)
        self.latent_dim, self.image_size, self.channels, self.base_filters = latent_dim, image_size, channels, \
            base_filters
        s = start_size(image_size)
        wide = 2 * base_filters
        self.project = layers.Dense(s * s * wide, kernel_initializer="he_normal", name="project")
        self.reshape = layers.Reshape((s, s, wide))
        self.blocks = []
        for i, f in enumerate([wide] * 3 + [base_filters]):
            self.blocks.append((layers.Conv2D(f, 3, padding="same", kernel_initializer="he_normal", name=f"conv{i}"),
                                layers.UpSampling2D(2, name=f"up{i}"), layers.BatchNormalization(name=f"bn{i}")))
        self.conv_last = layers.Conv2D(base_filters, 3, padding="same", kernel_initializer="he_normal",
                                       name="conv_last")
        self.bn_last = layers.BatchNormalization(name="bn_last")
        self.to_image = layers.Conv2D(channels, 3, padding="same", kernel_initializer="he_normal", name="to_image")
        self.bn_image = layers.BatchNormalization(name="bn_image")
        self.out_activation = layers.Activation("sigmoid", dtype="float32", name="sigmoid")

    def call(self, z, training=False):
        x = self.reshape(self.project(z))
        for conv, up, norm in self.blocks:
            x = keras.ops.relu(norm(up(conv(x)), training=training))
        x = keras.ops.relu(self.bn_last(self.conv_last(x), training=training))
        x = self.out_activation(self.bn_image(self.to_image(x), training=training))
        return 2.0 * x - 1.0

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.image_size, self.image_size, self.channels)

    def get_config(self):
        return {"latent_dim": self.latent_dim, "image_size": self.image_size, "channels": self.channels,
                "base_filters": self.base_filters, "name": self.name}
