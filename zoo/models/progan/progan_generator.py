"""ProGAN generator (Karras et al. 2018): every level created up front, used progressively with a fade-in."""

from __future__ import annotations

import math

import keras
from keras import layers, ops

from zoo.layers import EqualizedConv2D, EqualizedDense, PixelNorm, lerp, upsample2x
from zoo.models.progan.levels import check_level, level_filters, level_resolution, num_levels


def _conv_block(filters: int, name: str, upsample: bool):
    parts = [layers.Lambda(upsample2x, name=f"{name}_up")] if upsample else []
    for i in range(2 if upsample else 1):
        parts += [EqualizedConv2D(filters, 3, name=f"{name}_conv{i}"), layers.LeakyReLU(0.2),
                  PixelNorm(name=f"{name}_pn{i}")]
    return keras.Sequential(parts, name=name)


@keras.saving.register_keras_serializable(package="facezoo")
class ProGANGenerator(keras.Model):
    """z [B, latent_dim] -> images [B, R, R, channels] (linear output, nominally [-1, 1], float32), with
    R = 4 * 2^level.

    ``call(z, level=None, alpha=None)``: ``level`` (Python int, default ``output_level``, None meaning the last)
    picks the output resolution and ``alpha`` defaults to ``output_alpha``;
    for level > 0 the output is ``alpha * toRGB_level(block_level(h)) + (1 - alpha) * upsample(toRGB_{level-1}(h))``
    with h the features of level - 1, so alpha = 0 gives exactly the upscaled image of the previous level and
    alpha = 1 the new block alone. Layers: pixel-normed z, equalized dense to 4x4, 3x3 equalized convolutions,
    leaky ReLU 0.2 and pixel norm after each, nearest-neighbour upsampling.

    ``output_level`` / ``output_alpha`` make the plain ``call(z)`` the network a run reached (a run stopped at
    32 px or inside a fade-in, see ``zoo.runs.run_model``); ``image_size`` is that output's resolution.
    """

    def __init__(self, latent_dim: int = 512, resolution: int = 1024, channels: int = 3, fmap_base: int = 8192,
                 fmap_max: int = 512, output_level: int | None = None, output_alpha: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim, self.resolution, self.channels = int(latent_dim), int(resolution), int(channels)
        self.fmap_base, self.fmap_max = int(fmap_base), int(fmap_max)
        self.num_levels = num_levels(self.resolution)
        self.output_level = check_level(output_level, self.num_levels, "ProGANGenerator output_level")
        self.output_alpha = float(output_alpha)
        f0 = level_filters(0, fmap_base, fmap_max)
        self.latent_norm = PixelNorm(name="latent_norm")
        # The 4x4 'dense' of the paper: gain sqrt(2) / 4 as in the official code, so each of the 16 pixels has
        # the He scale of a 1x1 projection.
        self.project = EqualizedDense(16 * f0, gain=math.sqrt(2.0) / 4, name="project")
        self.project_block = keras.Sequential([layers.Reshape((4, 4, f0)), layers.LeakyReLU(0.2),
                                               PixelNorm(name="project_pn")], name="project_block")
        self.blocks = [_conv_block(f0, "block0", upsample=False)]
        self.blocks += [_conv_block(level_filters(k, fmap_base, fmap_max), f"block{k}", upsample=True)
                        for k in range(1, self.num_levels)]
        self.to_rgb = [EqualizedConv2D(channels, 1, gain=1.0, name=f"to_rgb{k}") for k in range(self.num_levels)]

    def build(self, input_shape):
        # Every level, so every toRGB exists before weights are loaded or a checkpoint restored.
        z = ops.zeros((1, int(input_shape[-1])))
        for level in range(self.num_levels):
            self.call(z, level=level, alpha=0.5)
        self.built = True

    def features(self, z, level: int):
        """Features [B, 4*2^level, ., f] after block ``level``."""
        x = self.project_block(self.project(self.latent_norm(z)))
        for k in range(level + 1):
            x = self.blocks[k](x)
        return x

    def call(self, z, level=None, alpha=None):
        level = self.output_level if level is None else check_level(level, self.num_levels, "ProGANGenerator")
        alpha = self.output_alpha if alpha is None else alpha
        if level == 0:
            return ops.cast(self.to_rgb[0](self.features(z, 0)), "float32")
        h = self.features(z, level - 1)
        old = upsample2x(ops.cast(self.to_rgb[level - 1](h), "float32"))
        new = ops.cast(self.to_rgb[level](self.blocks[level](h)), "float32")
        return lerp(old, new, alpha)

    def output_resolution(self, level=None) -> int:
        return level_resolution(self.output_level if level is None else
                                check_level(level, self.num_levels, "ProGANGenerator"))

    @property
    def image_size(self) -> int:
        """The resolution of ``call(z)``'s output (``output_level``'s)."""
        return self.output_resolution()

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.image_size, self.image_size, self.channels)

    def get_config(self):
        return {"latent_dim": self.latent_dim, "resolution": self.resolution, "channels": self.channels,
                "fmap_base": self.fmap_base, "fmap_max": self.fmap_max, "output_level": self.output_level,
                "output_alpha": self.output_alpha, "name": self.name}
