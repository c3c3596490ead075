"""Discriminator of Larsen et al.'s VAE-GAN: a logit and the features its similarity loss compares."""

from __future__ import annotations

import keras
from keras import layers

from zoo.models.base import BuildByCall
from zoo.models.sides import multiple_of


@keras.saving.register_keras_serializable(package="facezoo")
class VAEGANDiscriminator(BuildByCall, keras.Model):
    """images [B, S, S, C] in [-1, 1] -> (logits [B, 1], features [B, S/4, S/4, 8 * base_filters]), float32.

    Larsen et al.'s layout: 5x5 convolution (base_filters) + ReLU, then 5x5 stride-2 convolutions
    (base_filters x 4, 8, 8) with batch norm and ReLU, a 512-unit dense layer with batch norm and ReLU, one
    logit. ``features`` are the activations of the third convolution, the layer whose distance is the VAE-GAN's
    learned similarity ("Dis_l").
    """

    def __init__(self, image_size: int = 64, channels: int = 3, base_filters: int = 32, dense_units: int = 512,
                 **kwargs):
        super().__init__(**kwargs)
        multiple_of(image_size, 8, "VAEGANDiscriminator")
        self.image_size, self.channels, self.base_filters, self.dense_units = image_size, channels, base_filters, \
            dense_units
        self.conv0 = layers.Conv2D(base_filters, 5, padding="same", name="conv0")
        self.blocks = [(layers.Conv2D(base_filters * f, 5, strides=2, padding="same", name=f"conv{i + 1}"),
                        layers.BatchNormalization(name=f"bn{i + 1}")) for i, f in enumerate((4, 8, 8))]
        self.flatten = layers.Flatten()
        self.hidden = layers.Dense(dense_units, name="hidden")
        self.hidden_norm = layers.BatchNormalization(name="hidden_bn")
        self.to_logit = layers.Dense(1, dtype="float32", name="to_logit")

    def call(self, images, training=False):
        x = keras.ops.relu(self.conv0(images))
        features = None
        for i, (conv, norm) in enumerate(self.blocks):
            x = keras.ops.relu(norm(conv(x), training=training))
            if i == 1:
                features = x
        x = keras.ops.relu(self.hidden_norm(self.hidden(self.flatten(x)), training=training))
        return self.to_logit(x), keras.ops.cast(features, "float32")

    def compute_output_shape(self, input_shape):
        s = self.image_size // 4
        return (input_shape[0], 1), (input_shape[0], s, s, 8 * self.base_filters)

    def get_config(self):
        return {"image_size": self.image_size, "channels": self.channels, "base_filters": self.base_filters,
                "dense_units": self.dense_units, "name": self.name}
