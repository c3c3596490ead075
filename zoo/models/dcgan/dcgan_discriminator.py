"""DCGAN discriminator: stride-2 convolutions with LeakyReLU (0.2), batch norm after the first, one logit."""

from __future__ import annotations

import keras
from keras import layers

from zoo.models.base import BuildByCall

from zoo.models.dcgan.dcgan_generator import (BATCH_NORM_EPSILON, dcgan_batch_norm, dcgan_initializer,
                                              num_upsamplings, with_legacy_epsilon)


@keras.saving.register_keras_serializable(package="facezoo")
class DCGANDiscriminator(BuildByCall, keras.Model):
    """images [B, S, S, C] in [-1, 1] -> logits [B, 1] (the sigmoid lives in the loss).

    Filters double from ``base_filters`` at each stride-2 convolution down to 4x4, then a 4x4 valid
    convolution to one logit. No batch norm on the first layer, as in Radford et al.; the others use momentum 0.9
    (torch's 0.1) and epsilon ``batch_norm_epsilon`` (1e-5).
    """

    def __init__(self, image_size: int = 64, channels: int = 3, base_filters: int = 64,
                 batch_norm_epsilon: float = BATCH_NORM_EPSILON, **kwargs):
        super().__init__(**kwargs)
        self.image_size, self.channels, self.base_filters = image_size, channels, base_filters
        self.batch_norm_epsilon = float(batch_norm_epsilon)
        n = num_upsamplings(image_size)
        self.blocks = []
        for i in range(n):
            conv = layers.Conv2D(base_filters * 2**i, 4, strides=2, padding="same", use_bias=i == 0,
                                 kernel_initializer=dcgan_initializer(), name=f"down{i}")
            norm = dcgan_batch_norm(f"down{i}_bn", self.batch_norm_epsilon) if i > 0 else None
            self.blocks.append((conv, norm))
        self.to_logit = layers.Conv2D(1, 4, padding="valid", kernel_initializer=dcgan_initializer(), name="to_logit")
        self.flatten = layers.Flatten(dtype="float32")

    def call(self, images, training=False):
        x = images
        for conv, norm in self.blocks:
            x = conv(x)
            if norm is not None:
                x = norm(x, training=training)
            x = keras.ops.leaky_relu(x, 0.2)
        return keras.ops.cast(self.flatten(self.to_logit(x)), "float32")

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 1)

    def get_config(self):
        return {"image_size": self.image_size, "channels": self.channels, "base_filters": self.base_filters,
                "batch_norm_epsilon": self.batch_norm_epsilon, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**with_legacy_epsilon(config))
