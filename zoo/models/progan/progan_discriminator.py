"""ProGAN discriminator (Karras et al. 2018): the generator's mirror, with minibatch stddev before the last block."""

from __future__ import annotations

import functools

import keras
from keras import layers, ops

from zoo.layers import EqualizedConv2D, EqualizedDense, MinibatchStddev, blur2d, downsample2x, lerp
from zoo.models.progan.levels import check_level, level_filters, level_of, level_resolution, num_levels


@keras.saving.register_keras_serializable(package="facezoo")
class ProGANDiscriminator(keras.Model):
    """images [B, R, R, channels] with R = 4 * 2^level <= ``resolution`` -> scores [B, 1] (float32).

    The level is read from the images' static size. ``call(images, alpha=1.0)``: for level > 0 the features
    entering block level - 1 are ``alpha * block_level(fromRGB_level(x)) + (1 - alpha) * fromRGB_{level-1}(
    downsample(x))``, the mirror of the generator's fade-in. The 4x4 block appends the minibatch standard
    deviation (groups of ``mbstd_group_size``), then a 3x3 convolution, a 4x4 dense and a linear output.
    ``blur_filter`` (StyleGAN's (1, 2, 1); ProGAN: none) low-passes each block's features before its
    downsampling convolution.
    """

    def __init__(self, resolution: int = 1024, channels: int = 3, fmap_base: int = 8192, fmap_max: int = 512,
                 mbstd_group_size: int = 4, blur_filter=(), **kwargs):
        super().__init__(**kwargs)
        self.blur_filter = tuple(int(t) for t in (blur_filter or ()))
        self.resolution, self.channels, self.fmap_base, self.fmap_max = int(resolution), int(channels), \
            int(fmap_base), int(fmap_max)
        self.mbstd_group_size = int(mbstd_group_size)
        self.num_levels = num_levels(self.resolution)
        nf = [level_filters(k, fmap_base, fmap_max) for k in range(self.num_levels)]
        self.from_rgb = [keras.Sequential([EqualizedConv2D(nf[k], 1, name=f"from_rgb{k}_conv"),
                                           layers.LeakyReLU(0.2)], name=f"from_rgb{k}")
                         for k in range(self.num_levels)]
        self.blocks = [None] + [
            keras.Sequential([EqualizedConv2D(nf[k], 3, name=f"block{k}_conv0"), layers.LeakyReLU(0.2),
                              *([layers.Lambda(functools.partial(blur2d, taps=self.blur_filter),
                                               name=f"block{k}_blur")] if self.blur_filter else []),
                              EqualizedConv2D(nf[k - 1], 3, name=f"block{k}_conv1"), layers.LeakyReLU(0.2),
                              layers.Lambda(downsample2x, name=f"block{k}_down")], name=f"block{k}")
            for k in range(1, self.num_levels)]
        self.final = keras.Sequential([
            MinibatchStddev(self.mbstd_group_size, name="mbstd"),
            EqualizedConv2D(nf[0], 3, name="final_conv"), layers.LeakyReLU(0.2), layers.Flatten(),
            EqualizedDense(nf[0], name="final_dense"), layers.LeakyReLU(0.2),
            EqualizedDense(1, gain=1.0, name="score")], name="final")

    def build(self, input_shape):
        channels = int(input_shape[-1])
        for level in range(self.num_levels):
            r = level_resolution(level)
            self.call(ops.zeros((1, r, r, channels)), alpha=0.5)
        self.built = True

    def level_for(self, images) -> int:
        size = images.shape[1]
        if size is None or images.shape[2] != size:
            raise ValueError(f"ProGANDiscriminator needs square images of a static size, got shape {images.shape}")
        level = level_of(int(size))
        return check_level(level, self.num_levels, f"ProGANDiscriminator({size} px images)")

    def call(self, images, alpha=1.0):
        level = self.level_for(images)
        x = self.from_rgb[level](images)
        if level > 0:
            x = self.blocks[level](x)
            old = self.from_rgb[level - 1](downsample2x(images))
            x = lerp(old, x, alpha)
            for k in range(level - 1, 0, -1):
                x = self.blocks[k](x)
        return ops.cast(self.final(x), "float32")

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 1)

    def get_config(self):
        return {"resolution": self.resolution, "channels": self.channels, "fmap_base": self.fmap_base,
                "fmap_max": self.fmap_max, "mbstd_group_size": self.mbstd_group_size, "blur_filter": list(self.blur_filter), "name": self.name}
