"""Image transforms of the pipeline: the papers' crops, resizing, channel conversion and scaling."""

from __future__ import annotations

import tensorflow as tf

CROPS = ("none", "square", "center178", "cut20")


def crop(image: tf.Tensor, kind: str) -> tf.Tensor:
    """Crop one image [H, W, C] as the papers do.

    - ``none``: keep the whole image;
    - ``square``: the largest centred square;
    - ``center178``: the centred 178x178 window (CelebA aligned 178x218 -> the DCGAN/VAE papers' face crop);
    - ``cut20``: drop 20 rows at the top and at the bottom (CelebA 218 -> 178 rows, the plain/L2/WGAN paper).
    """
    if kind == "none":
        return image
    h, w = tf.shape(image)[0], tf.shape(image)[1]
    if kind == "square":
        s = tf.minimum(h, w)
        return tf.image.crop_to_bounding_box(image, (h - s) // 2, (w - s) // 2, s, s)
    if kind == "center178":
        s_h, s_w = tf.minimum(h, 178), tf.minimum(w, 178)
        return tf.image.crop_to_bounding_box(image, (h - s_h) // 2, (w - s_w) // 2, s_h, s_w)
    if kind == "cut20":
        return image[20:h - 20]
    raise ValueError(f"unknown crop {kind!r}; expected one of {CROPS}")


def resize(image: tf.Tensor, size: int) -> tf.Tensor:
    """Resize [H, W, C] uint8 to [size, size, C] uint8 with antialiasing (area-like when shrinking)."""
    out = tf.image.resize(image, (size, size), method="bilinear", antialias=True)
    return tf.cast(tf.clip_by_value(tf.round(out), 0, 255), tf.uint8)


def to_channels(image: tf.Tensor, channels: int) -> tf.Tensor:
    """Convert [..., C] between greyscale (1) and RGB (3)."""
    c = image.shape[-1]
    if c == channels:
        return image
    if channels == 1 and c == 3:
        return tf.cast(tf.round(tf.image.rgb_to_grayscale(tf.cast(image, tf.float32))), image.dtype)
    if channels == 3 and c == 1:
        return tf.image.grayscale_to_rgb(image)
    raise ValueError(f"cannot convert {c} channels to {channels}")


def to_float(images: tf.Tensor) -> tf.Tensor:
    """uint8 [0, 255] -> float32 [-1, 1]."""
    return tf.cast(images, tf.float32) / 127.5 - 1.0


def to_uint8(images) -> "tf.Tensor":
    """float [-1, 1] -> uint8 [0, 255], rounding as a PNG writer would."""
    return tf.cast(tf.clip_by_value(tf.round((tf.cast(images, tf.float32) + 1.0) * 127.5), 0, 255), tf.uint8)


def fit(images, crop_kind: str, size: int, channels: int):
    """uint8 [..., H, W, C] -> uint8 [..., size, size, channels]: the pipeline's crop and antialiased resize, skipped
    when the images already have the size (a resize to the same size is not free)."""
    if crop_kind != "none":
        images = crop(images, crop_kind)
    shape = tf.shape(images)
    same = tf.logical_and(tf.equal(shape[-3], size), tf.equal(shape[-2], size))
    images = tf.cond(same, lambda: tf.identity(images), lambda: resize(images, size))
    images = to_channels(images, channels)
    return tf.ensure_shape(images, [None] * (images.shape.rank - 3) + [size, size, channels])


def model_input(image, size: int, channels: int):
    """One photo, uint8 [H, W, C] -> float32 numpy [1, size, size, channels] in [-1, 1]: the central square,
    resized and converted as the training pipeline does, so that an encoder sees a photo as it saw its data."""
    image = tf.convert_to_tensor(image, tf.uint8)
    return to_float(fit(image, "square", int(size), int(channels)))[None].numpy()
