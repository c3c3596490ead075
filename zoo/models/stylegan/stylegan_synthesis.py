"""StyleGAN synthesis network on the progressive skeleton: learned constant, AdaIN styles, per-layer noise."""

from __future__ import annotations

import keras
from keras import layers, ops

from zoo.layers import AdaIN, EqualizedConv2D, NoiseInput, blur2d, lerp, upsample2x
from zoo.layers.adain import instance_norm
from zoo.models.progan.levels import check_level, level_filters, level_resolution, num_levels
from zoo.utils.random import derive_seed


class _StyledLayer(layers.Layer):
    """[optional upsample + 3x3 conv (+ blur after an upsample)] -> noise -> bias -> leaky ReLU -> AdaIN(w).

    The layer on the learned constant (no conv) computes its epilogue up to the instance norm in float64: its map
    is flat at initialisation and nearly flat early in training (spread ~1e-3 around ~1), so the norm divides the
    float32 rounding of const + noise + bias by that spread, and two correct float32 evaluations (eager and graph
    TF, or ONNX) differ by ~3e-4. In float64 the output is the stored weights' function to float32 precision.
    """

    def __init__(self, filters: int, conv: bool, upsample: bool, seed, blur_filter=(), **kwargs):
        super().__init__(**kwargs)
        self.filters, self.has_conv, self.upsample = filters, conv, upsample
        self.blur_filter = tuple(blur_filter) if upsample else ()
        self.precise = not conv
        self.conv = EqualizedConv2D(filters, 3, use_bias=False, name="conv") if conv else None
        self.noise = NoiseInput(seed=seed, name="noise")
        self.adain = AdaIN(name="adain")
        self.act = layers.LeakyReLU(0.2)

    def build(self, input_shape):
        self.bias = self.add_weight(shape=(self.filters,), name="bias", initializer="zeros")
        if self.precise:  # its noise input is used directly, not called
            self.noise.build(input_shape)

    def _normalized_in_float64(self, x, randomize_noise):
        x64 = ops.cast(x, "float64") + ops.cast(self.noise.noise_image(x, randomize_noise), "float64") \
            * ops.cast(self.noise.weight, "float64") + ops.cast(self.bias, "float64")
        x64 = ops.maximum(x64, 0.2 * x64)  # leaky ReLU 0.2
        return ops.cast(instance_norm(x64, self.adain.epsilon), x.dtype)

    def call(self, x, w, randomize_noise=True):
        if self.precise:
            return self.adain([self._normalized_in_float64(x, randomize_noise), w], normalized=True)
        if self.upsample:
            x = upsample2x(x)
        if self.conv is not None:
            x = self.conv(x)
        x = blur2d(x, self.blur_filter)
        x = self.act(self.noise(x, randomize=randomize_noise) + self.bias)
        return self.adain([x, w])


@keras.saving.register_keras_serializable(package="facezoo")
class StyleGANSynthesis(keras.Model):
    """ws [B, num_ws, w_dim] -> images [B, R, R, channels] (float32), R = 4 * 2^level; ``num_ws = 2 *
    num_levels``: level k's two layers take ws[:, 2k] and ws[:, 2k + 1].

    Level 0 starts from a learned 4x4 constant; each later level upsamples (nearest) and convolves twice, the first
    convolution followed by the ``blur_filter`` low-pass (StyleGAN's [1, 2, 1]; empty for none).
    ``call(ws, level=None, alpha=1.0, randomize_noise=True)`` blends toRGB outputs like ProGAN: alpha = 0 gives the
    upscaled image of level - 1, alpha = 1 the new level alone.
    """

    def __init__(self, w_dim: int = 512, resolution: int = 1024, channels: int = 3, fmap_base: int = 8192,
                 fmap_max: int = 512, seed: int | None = None, blur_filter=(1, 2, 1), **kwargs):
        super().__init__(**kwargs)
        self.w_dim, self.resolution, self.channels = int(w_dim), int(resolution), int(channels)
        self.blur_filter = tuple(int(t) for t in (blur_filter or ()))
        self.fmap_base, self.fmap_max, self.seed = int(fmap_base), int(fmap_max), seed
        self.num_levels = num_levels(self.resolution)
        self.num_ws = 2 * self.num_levels
        nf = [level_filters(k, fmap_base, fmap_max) for k in range(self.num_levels)]
        s = (lambda i: None if seed is None else derive_seed(seed, f"noise{i}"))  # one stream per layer
        self.styled = []
        for k in range(self.num_levels):
            self.styled.append(_StyledLayer(nf[k], conv=k > 0, upsample=k > 0, seed=s(2 * k),
                                            blur_filter=self.blur_filter, name=f"level{k}_0"))
            self.styled.append(_StyledLayer(nf[k], conv=True, upsample=False, seed=s(2 * k + 1), name=f"level{k}_1"))
        self.to_rgb = [EqualizedConv2D(channels, 1, gain=1.0, name=f"to_rgb{k}") for k in range(self.num_levels)]
        self.nf0 = nf[0]

    def build(self, input_shape):
        if getattr(self, "const", None) is None:  # a second build (e.g. after deserialising) keeps the constant
            self.const = self.add_weight(shape=(1, 4, 4, self.nf0), name="const", initializer="ones")
        ws = ops.zeros((1, self.num_ws, int(input_shape[-1])))
        for level in range(self.num_levels):
            self.call(ws, level=level, alpha=0.5, randomize_noise=False)
        self.built = True

    def features(self, ws, level: int, randomize_noise=True):
        batch = ops.shape(ws)[0]
        x = ops.cast(ops.broadcast_to(self.const, (batch, 4, 4, self.nf0)), self.compute_dtype)
        for i in range(2 * (level + 1)):
            x = self.styled[i](x, ws[:, i], randomize_noise=randomize_noise)
        return x

    def call(self, ws, level=None, alpha=1.0, randomize_noise=True):
        level = check_level(level, self.num_levels, "StyleGANSynthesis")
        if level == 0:
            return ops.cast(self.to_rgb[0](self.features(ws, 0, randomize_noise)), "float32")
        h = self.features(ws, level - 1, randomize_noise)
        old = upsample2x(ops.cast(self.to_rgb[level - 1](h), "float32"))
        x = self.styled[2 * level](h, ws[:, 2 * level], randomize_noise=randomize_noise)
        x = self.styled[2 * level + 1](x, ws[:, 2 * level + 1], randomize_noise=randomize_noise)
        return lerp(old, ops.cast(self.to_rgb[level](x), "float32"), alpha)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.resolution, self.resolution, self.channels)

    def output_resolution(self, level=None) -> int:
        return level_resolution(check_level(level, self.num_levels, "StyleGANSynthesis"))

    def get_config(self):
        return {"w_dim": self.w_dim, "resolution": self.resolution, "channels": self.channels,
                "fmap_base": self.fmap_base, "fmap_max": self.fmap_max, "seed": self.seed, "blur_filter": list(self.blur_filter),
                "name": self.name}
