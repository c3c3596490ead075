"""What alignment cannot remove from a photo, as training augmentation for the classifiers (``--photo-augment``).

An aligned photo still differs from a UTKFace chip: the mean template frames each face a little differently from
the chips' own alignment (scale, shift, a small rotation), and the photo brings its own light, colour and blur.
``photo_augment`` draws each of these per image, seeded by (seed, batch index) so a resumed run sees the same
batches, with every range multiplied by ``strength`` (0 is the identity, 1 the ranges below).
"""

from __future__ import annotations

import math

# At strength 1: the ranges drawn uniformly per image (scale and the contrast / saturation factors on a log scale).
ROTATION_DEG = 10.0  # +- degrees
SCALE = 1.1  # zoom in [1 / SCALE, SCALE]
SHIFT = 0.06  # +- fraction of the side, each axis
BRIGHTNESS = 0.1  # +- fraction of the [0, 1] intensity range
CONTRAST = 1.25  # factor in [1 / CONTRAST, CONTRAST] about each image's mean
SATURATION = 1.3  # factor in [1 / SATURATION, SATURATION] about each pixel's grey (colour images only)
BLUR = 1.0  # a share in [0, BLUR] of a 3x3 Gaussian blur (sigma 1 px) mixed into the image

_DESCRIPTION = ("scale {s:.2f}-{S:.2f}, rotation up to {r:g} degrees, shifts up to {t:.0%}, brightness +-{b:.0%}, "
                "contrast {c:.2f}-{C:.2f}, saturation {u:.2f}-{U:.2f}, blur up to {l:.0%} of sigma 1 px")


def describe(strength: float) -> str:
    """The ranges ``photo_augment`` draws from at ``strength``, in words (for the report and the metadata)."""
    s = float(strength)
    return _DESCRIPTION.format(s=SCALE ** -s, S=SCALE ** s, r=ROTATION_DEG * s, t=SHIFT * s, b=BRIGHTNESS * s,
                               c=CONTRAST ** -s, C=CONTRAST ** s, u=SATURATION ** -s, U=SATURATION ** s, l=BLUR * s)


def affine_rows(angle, scale, shift_x, shift_y, side: int):
    """The 8-parameter projective rows (``tf.raw_ops.ImageProjectiveTransformV3``: output pixel -> input pixel)
    that rotate by ``angle`` radians (counter-clockwise on screen), zoom by ``scale`` about the centre, then
    shift by (``shift_x``, ``shift_y``) pixels; each argument a [B] tensor. Returns [B, 8] float32."""
    import tensorflow as tf

    c = (side - 1) / 2.0
    cos, sin = tf.cos(angle) / scale, tf.sin(angle) / scale
    # input = R(angle)^-1 / scale (output - centre - shift) + centre, with y pointing down on screen.
    a0, a1, b0, b1 = cos, -sin, sin, cos
    a2 = c - a0 * (c + shift_x) - a1 * (c + shift_y)
    b2 = c - b0 * (c + shift_x) - b1 * (c + shift_y)
    zero = tf.zeros_like(angle)
    return tf.cast(tf.stack([a0, a1, a2, b0, b1, b2, zero, zero], axis=1), tf.float32)


def warp(images, rows):
    """``images`` [B, S, S, C] resampled (bilinear, borders reflected) through ``affine_rows``' ``rows``."""
    import tensorflow as tf

    side = images.shape[1]
    return tf.raw_ops.ImageProjectiveTransformV3(images=images, transforms=rows, output_shape=[side, side],
                                                 fill_value=0.0, interpolation="BILINEAR", fill_mode="REFLECT")


def _blur3(images):
    import tensorflow as tf

    k = tf.constant([math.exp(-0.5), 1.0, math.exp(-0.5)])
    k = k / tf.reduce_sum(k)
    kernel = tf.tile((k[:, None] * k[None, :])[:, :, None, None], [1, 1, images.shape[-1], 1])
    padded = tf.pad(images, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT")
    return tf.nn.depthwise_conv2d(padded, kernel, [1, 1, 1, 1], "VALID")


def photo_augment(images, strength: float, seed, index):
    """``images`` [B, S, S, C] in [-1, 1], each scaled, rotated, shifted, re-lit, re-coloured and blurred at random
    within the module's ranges times ``strength``; seeded by (``seed``, batch ``index``). ``images`` itself at
    strength 0."""
    import tensorflow as tf

    if strength == 0:
        return images
    s = float(strength)
    n, side, channels = tf.shape(images)[0], images.shape[1], images.shape[-1]
    u = tf.random.stateless_uniform((n, 8), seed=tf.stack([tf.cast(seed, tf.int64) + 2, tf.cast(index, tf.int64)]),
                                    minval=-1.0, maxval=1.0)
    angle = u[:, 0] * math.radians(ROTATION_DEG) * s
    scale = tf.exp(u[:, 1] * math.log(SCALE) * s)
    images = warp(images, affine_rows(angle, scale, u[:, 2] * SHIFT * s * side, u[:, 3] * SHIFT * s * side, side))
    per_image = lambda v: v[:, None, None, None]  # noqa: E731
    mean = tf.reduce_mean(images, axis=[1, 2, 3], keepdims=True)
    images = (images - mean) * per_image(tf.exp(u[:, 4] * math.log(CONTRAST) * s)) + mean
    images = images + per_image(u[:, 5] * 2.0 * BRIGHTNESS * s)  # [-1, 1] spans twice the [0, 1] range
    if channels == 3:
        grey = tf.reduce_mean(images, axis=-1, keepdims=True)
        images = grey + (images - grey) * per_image(tf.exp(u[:, 6] * math.log(SATURATION) * s))
    share = per_image((u[:, 7] + 1.0) / 2.0 * min(BLUR * s, 1.0))
    images = images + share * (_blur3(images) - images)
    return tf.clip_by_value(images, -1.0, 1.0)
