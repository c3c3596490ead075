"""DCGAN generator: project z to 4x4, then stride-2 transposed convolutions up to the image size."""

from __future__ import annotations

import keras
from keras import layers

from zoo.models.base import BuildByCall
from zoo.models.sides import doublings_from_4


def dcgan_initializer():
    """The paper's N(0, 0.02) initialisation, a new object per layer: each draws its seed from the global seed
    (``keras.utils.set_random_seed``) when the layer is made, so layers differ and a seeded run repeats. (One
    shared, unseeded object made at import gave layers of one shape the same kernel, and runs differed.)"""
    return keras.initializers.RandomNormal(0.0, 0.02)


BATCH_NORM_EPSILON = 1e-5  # Radford et al. (torch's default); Keras' own default is 1e-3
LEGACY_BATCH_NORM_EPSILON = 1e-3  # what configs saved without the field (older presets) were trained with


def dcgan_batch_norm(name: str, epsilon: float = BATCH_NORM_EPSILON):
    """Radford et al.'s batch norm: torch momentum 0.1 (Keras' 0.9, the weight of the old running value)."""
    return layers.BatchNormalization(momentum=0.9, epsilon=epsilon, name=name)


def with_legacy_epsilon(config: dict) -> dict:
    """A saved config without ``batch_norm_epsilon`` predates it: its weights were trained with Keras' 1e-3, and
    loading them with another epsilon would change the outputs (by up to 0.05 for the shipped presets)."""
    return {"batch_norm_epsilon": LEGACY_BATCH_NORM_EPSILON, **config}


def num_upsamplings(image_size: int) -> int:
    return doublings_from_4(image_size, "DCGAN")


@keras.saving.register_keras_serializable(package="facezoo")
class DCGANGenerator(BuildByCall, keras.Model):
    """z [B, latent_dim] -> images [B, image_size, image_size, channels] in [-1, 1] (tanh).

    Filters halve at each upsampling, from ``base_filters * 2^(k-1)`` at 4x4 (512 for 64 px with the default
    64) to ``base_filters`` before the output layer, as in Radford et al. Batch norm as in the paper's code:
    momentum 0.9 in Keras' convention (torch's 0.1), epsilon ``batch_norm_epsilon`` (1e-5).
    """

    def __init__(self, latent_dim: int = 100, image_size: int = 64, channels: int = 3, base_filters: int = 64,
                 batch_norm_epsilon: float = BATCH_NORM_EPSILON, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim, self.image_size, self.channels, self.base_filters = latent_dim, image_size, channels, \
            base_filters
        self.batch_norm_epsilon = float(batch_norm_epsilon)
        n = num_upsamplings(image_size)
        f0 = base_filters * 2 ** (n - 1)
        self.project = layers.Dense(4 * 4 * f0, use_bias=False, kernel_initializer=dcgan_initializer(), name="project")
        self.reshape = layers.Reshape((4, 4, f0))
        self.project_norm = dcgan_batch_norm("project_bn", self.batch_norm_epsilon)
        self.blocks = []
        for i in range(n - 1):
            f = f0 // 2 ** (i + 1)
            self.blocks.append([
                layers.Conv2DTranspose(f, 4, strides=2, padding="same", use_bias=False,
                                       kernel_initializer=dcgan_initializer(), name=f"up{i}"),
                dcgan_batch_norm(f"up{i}_bn", self.batch_norm_epsilon),
            ])
        self.to_image = layers.Conv2DTranspose(channels, 4, strides=2, padding="same",
                                               kernel_initializer=dcgan_initializer(), name="to_image")
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
                "base_filters": self.base_filters, "batch_norm_epsilon": self.batch_norm_epsilon, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**with_legacy_epsilon(config))
