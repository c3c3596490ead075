"""Shared building blocks of the progressive GANs: equalized learning rate, pixel norm, minibatch stddev, AdaIN,
noise inputs and the 2x resampling helpers."""

from zoo.layers.adain import AdaIN
from zoo.layers.equalized_conv2d import EqualizedConv2D
from zoo.layers.equalized_dense import EqualizedDense
from zoo.layers.minibatch_stddev import MinibatchStddev
from zoo.layers.noise_input import NoiseInput
from zoo.layers.pixel_norm import PixelNorm
from zoo.layers.resample import blur2d, box_blur2x, downsample2x, lerp, upsample2x
from zoo.layers.sampling import GaussianSampling

__all__ = ["AdaIN", "EqualizedConv2D", "EqualizedDense", "GaussianSampling", "MinibatchStddev", "NoiseInput", "PixelNorm",
           "blur2d", "box_blur2x", "downsample2x", "lerp", "upsample2x"]
