"""Decoder of the small convolutional VAE of the UTKFace latent-size / beta study."""

from __future__ import annotations

import keras
from keras import layers

from zoo.models.base import BuildByCall
from zoo.models.sides import multiple_of


@keras.saving.register_keras_serializable(package="facezoo")
class ConvVAEDecoder(BuildByCall, keras.Model):
    """z [B, latent_dim] -> images [B, image_size, image_size, channels] in [-1, 1] (tanh).

    A widened dense network (Dense(dense_units) + ReLU, Dense to (S/8) x (S/8) x (4 * base_filters) + ReLU),
    then three 3x3 stride-2 transposed convolutions (base_filters x 2, 1, then ``channels``), ReLU between.
    """

    def __init__(self, latent_dim: int = 4, image_size: int = 48, channels: int = 1, base_filters: int = 32,
                 dense_units: int = 512, **kwargs):
        super().__init__(**kwargs)
        s = multiple_of(image_size, 8, "ConvVAEDecoder")
        self.latent_dim, self.image_size, self.channels = latent_dim, image_size, channels
        self.base_filters, self.dense_units = base_filters, dense_units
        self.hidden = layers.Dense(dense_units, activation="relu", name="hidden")
        self.project = layers.Dense(s * s * 4 * base_filters, activation="relu", name="project")
        self.reshape = layers.Reshape((s, s, 4 * base_filters))
        self.deconvs = [layers.Conv2DTranspose(f, 3, strides=2, padding="same", name=f"deconv{i}")
                        for i, f in enumerate([2 * base_filters, base_filters, channels])]
        self.out_activation = layers.Activation("tanh", dtype="float32", name="tanh")

    def call(self, z, training=False):
        x = self.reshape(self.project(self.hidden(z)))
        for deconv in self.deconvs[:-1]:
            x = keras.ops.relu(deconv(x))
        return self.out_activation(self.deconvs[-1](x))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.image_size, self.image_size, self.channels)

    def get_config(self):
        return {"latent_dim": self.latent_dim, "image_size": self.image_size, "channels": self.channels,
                "base_filters": self.base_filters, "dense_units": self.dense_units, "name": self.name}
