"""2x resampling of NHWC feature maps and images, the [1, 2, 1] blur and the fade-in blend of the progressive GANs."""

from __future__ import annotations

import numpy as np
from keras import ops


def upsample2x(x):
    """[B, H, W, C] -> [B, 2H, 2W, C], nearest neighbour (each pixel repeated 2x2)."""
    return ops.repeat(ops.repeat(x, 2, axis=1), 2, axis=2)


def downsample2x(x):
    """[B, H, W, C] -> [B, H/2, W/2, C], mean of each 2x2 block (H and W even)."""
    return ops.average_pool(x, pool_size=2, strides=2, padding="valid")


def blur2d(x, taps=(1, 2, 1)):
    """[B, H, W, C] -> [B, H, W, C] low-passed per channel by the normalised outer product of ``taps`` with zero
    padding ("same"), StyleGAN's ``blur2d`` after every upsampling conv and before every downsampling one.
    Empty ``taps`` returns ``x``."""
    if not taps:
        return x
    f = np.asarray(taps, np.float32)
    f = np.outer(f, f)
    f /= f.sum()
    channels = int(x.shape[-1])
    kernel = np.tile(f[:, :, None, None], (1, 1, channels, 1))
    return ops.depthwise_conv(x, ops.cast(kernel, x.dtype), strides=1, padding="same")


def box_blur2x(x):
    """[B, H, W, C] -> [B, H, W, C]: each 2x2 block replaced by its mean (``upsample2x(downsample2x(x))``), the
    reals of the previous level at this size (NVlabs ``process_reals``' fade of the real images)."""
    return upsample2x(downsample2x(x))


def lerp(a, b, t):
    """a + (b - a) * t: ``a`` at t = 0, ``b`` at t = 1 (t a scalar or broadcastable tensor)."""
    t = ops.cast(t, a.dtype)
    return a + (b - a) * t
