"""2x resampling of NHWC feature maps and images, and the fade-in blend of the progressive GANs."""

from __future__ import annotations

from keras import ops


def upsample2x(x):
    """[B, H, W, C] -> [B, 2H, 2W, C], nearest neighbour (each pixel repeated 2x2)."""
    return ops.repeat(ops.repeat(x, 2, axis=1), 2, axis=2)


def downsample2x(x):
    """[B, H, W, C] -> [B, H/2, W/2, C], mean of each 2x2 block (H and W even)."""
    return ops.average_pool(x, pool_size=2, strides=2, padding="valid")


def lerp(a, b, t):
    """a + (b - a) * t: ``a`` at t = 0, ``b`` at t = 1 (t a scalar or broadcastable tensor)."""
    t = ops.cast(t, a.dtype)
    return a + (b - a) * t
