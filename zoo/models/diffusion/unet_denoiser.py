"""The denoising U-Net of the keras.io DDIM example (Beres 2022), as a subclassed model."""

from __future__ import annotations

import keras
from keras import layers

from zoo.layers.residual_block import ResidualBlock
from zoo.layers.sinusoidal_embedding import SinusoidalEmbedding
from zoo.models.sides import multiple_of


@keras.saving.register_keras_serializable(package="facezoo")
class UNetDenoiser(keras.Model):
    """[noisy images [B, S, S, C], noise variances [B, 1, 1, 1]] -> the network's prediction [B, S, S, C], float32
    (the noise, or the velocity: see ``DDIMSampler.prediction``).

    The reference's shape: the noise variance embedded sinusoidally (``embedding_dims``, frequencies 1 to
    ``embedding_max_frequency``) and broadcast over the image, concatenated with a 1x1 convolution of the image;
    ``len(widths) - 1`` down blocks of ``block_depth`` residual blocks and a 2x2 average pool, ``block_depth``
    residual blocks at ``widths[-1]``, up blocks (bilinear upsampling, the skip concatenated before each residual
    block), a zero-initialised 1x1 convolution (so the first prediction is 0, the targets' mean). ``attention``
    adds one multi-head self-attention block (4 heads, residual) at the lowest resolution, common in the
    literature and left out by the reference. Widths (32, 64, 96, 128), depth 2: 1.95 M parameters (the reference counts its 3 input channels alike).
    ``image_size`` a multiple of 2 ** (len(widths) - 1).
    """

    def __init__(self, image_size: int = 64, channels: int = 3, widths=(32, 64, 96, 128), block_depth: int = 2,
                 embedding_dims: int = 32, embedding_max_frequency: float = 1000.0, attention: bool = False,
                 **kwargs):
        super().__init__(**kwargs)
        widths = tuple(int(w) for w in widths)
        if len(widths) < 2 or min(widths) < 1 or block_depth < 1:
            raise ValueError(f"need at least two widths >= 1 and block_depth >= 1, got {widths}, {block_depth}")
        multiple_of(image_size, 2 ** (len(widths) - 1), "UNetDenoiser")
        self.image_size, self.channels, self.widths, self.block_depth = image_size, channels, widths, block_depth
        self.embedding_dims, self.embedding_max_frequency = embedding_dims, float(embedding_max_frequency)
        self.attention = bool(attention)
        self.embedding = SinusoidalEmbedding(embedding_dims, 1.0, embedding_max_frequency, name="embedding")
        self.stem = layers.Conv2D(widths[0], 1, name="stem")
        self.down = [[ResidualBlock(w, name=f"down{i}_{j}") for j in range(block_depth)]
                     for i, w in enumerate(widths[:-1])]
        self.middle = [ResidualBlock(widths[-1], name=f"middle_{j}") for j in range(block_depth)]
        if self.attention:
            self.attention_norm = layers.LayerNormalization(name="attention_norm")
            self.attention_layer = layers.MultiHeadAttention(4, max(1, widths[-1] // 4), name="attention")
        self.up = [[ResidualBlock(w, name=f"up{i}_{j}") for j in range(block_depth)]
                   for i, w in reversed(list(enumerate(widths[:-1])))]
        self.head = layers.Conv2D(channels, 1, kernel_initializer="zeros", dtype="float32", name="head")

    def input_shapes(self):
        """[(None, S, S, C), (None, 1, 1, 1)]: the noisy images and their noise variances."""
        return [(None, self.image_size, self.image_size, self.channels), (None, 1, 1, 1)]

    def build(self, input_shape):
        size = self.image_size
        self.call([keras.ops.zeros((1, size, size, self.channels)), keras.ops.zeros((1, 1, 1, 1))])

    def call(self, inputs, training=False):
        noisy_images, noise_variances = inputs
        x = self.stem(noisy_images)
        e = self.embedding(keras.ops.cast(noise_variances, x.dtype))
        e = keras.ops.broadcast_to(e, (keras.ops.shape(x)[0], self.image_size, self.image_size, self.embedding_dims))
        x = keras.ops.concatenate([x, e], axis=-1)
        skips = []
        for blocks in self.down:
            for block in blocks:
                x = block(x, training=training)
                skips.append(x)
            x = keras.ops.average_pool(x, 2, 2)
        for block in self.middle:
            x = block(x, training=training)
        if self.attention:
            side = keras.ops.shape(x)[1]
            tokens = keras.ops.reshape(x, (keras.ops.shape(x)[0], side * side, self.widths[-1]))
            normed = self.attention_norm(tokens)
            tokens = tokens + self.attention_layer(normed, normed, training=training)
            x = keras.ops.reshape(tokens, (keras.ops.shape(x)[0], side, side, self.widths[-1]))
        for blocks in self.up:
            side = keras.ops.shape(x)[1] * 2
            x = keras.ops.image.resize(x, (side, side), interpolation="bilinear")
            for block in blocks:
                x = block(keras.ops.concatenate([x, skips.pop()], axis=-1), training=training)
        return self.head(x)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def get_config(self):
        return {"image_size": self.image_size, "channels": self.channels, "widths": list(self.widths),
                "block_depth": self.block_depth, "embedding_dims": self.embedding_dims,
                "embedding_max_frequency": self.embedding_max_frequency, "attention": self.attention,
                "name": self.name}
