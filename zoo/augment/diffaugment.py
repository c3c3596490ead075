"""DiffAugment (Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN Training"): colour,
translation and cutout as differentiable TensorFlow ops, applied to every batch the discriminator sees, reals and
fakes, so that the generator's gradient passes through them.

Each op follows mit-han-lab/data-efficient-gans ``DiffAugment_tf.py``: per example, brightness + U(-0.5, 0.5),
saturation x U(0, 2) about the pixel's channel mean, contrast x U(0.5, 1.5) about the image mean; an integer
translation of up to 1/8 of each side, vacated pixels 0; a cutout square of half the side, set to 0, its centre
anywhere in the image. Random numbers come from the augmenter's own seeded stream.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from zoo.augment.base import Augmenter
from zoo.augment.options import DEFAULT_POLICY, parse_policy

TRANSLATION_RATIO = 1 / 8  # the reference's ratio=[1, 8]
CUTOUT_RATIO = 1 / 2  # the reference's ratio=[1, 2]


def draw_params(images, policy, seed) -> dict:
    """The random parameters of ``policy`` (a tuple of groups) for ``images`` [B, H, W, C]: a dict of tensors
    that ``apply_params`` reads, so that one draw can transform several batches of the same size alike."""
    shape = tf.shape(images)
    batch, height, width = shape[0], images.shape[1], images.shape[2]
    params = {}

    def uniform(*dims):
        return keras.random.uniform((batch, *dims), seed=seed)

    def integers(low, high):
        return keras.random.randint((batch, 1), low, high, seed=seed, dtype="int32")

    if "color" in policy:
        params["brightness"] = uniform(1, 1, 1) - 0.5
        params["saturation"] = uniform(1, 1, 1) * 2.0
        params["contrast"] = uniform(1, 1, 1) + 0.5
    if "translation" in policy:
        shift_y, shift_x = int(height * TRANSLATION_RATIO), int(width * TRANSLATION_RATIO)
        params["shift_y"] = integers(-shift_y, shift_y + 1)
        params["shift_x"] = integers(-shift_x, shift_x + 1)
    if "cutout" in policy:
        cut_h, cut_w = int(height * CUTOUT_RATIO), int(width * CUTOUT_RATIO)
        params["cutout_y"] = integers(0, height + (1 - cut_h % 2))
        params["cutout_x"] = integers(0, width + (1 - cut_w % 2))
    return params


def _shift(images, shift, axis):
    """Move every image by its integer ``shift`` [B, 1] along ``axis`` (1 rows, 2 columns): out[i] = in[i + shift],
    0 where i + shift falls outside (the reference's zero padding)."""
    size = images.shape[axis]
    source = tf.range(size, dtype=tf.int32)[None, :] + shift  # [B, size]
    inside = tf.cast((source >= 0) & (source < size), images.dtype)
    moved = tf.gather(images, tf.clip_by_value(source, 0, size - 1), axis=axis, batch_dims=1)
    mask_shape = [-1, size, 1, 1] if axis == 1 else [-1, 1, size, 1]
    return moved * tf.reshape(inside, mask_shape)


def _cutout_mask(images, centre_y, centre_x):
    """[B, H, W, 1]: 0 inside each image's square of half the side whose rows start at centre - size // 2 (as the
    reference's grid), 1 elsewhere."""
    height, width = images.shape[1], images.shape[2]
    cut_h, cut_w = int(height * CUTOUT_RATIO), int(width * CUTOUT_RATIO)
    rows = tf.range(height, dtype=tf.int32)[None, :] - (centre_y - cut_h // 2)  # [B, H]
    cols = tf.range(width, dtype=tf.int32)[None, :] - (centre_x - cut_w // 2)
    in_rows = (rows >= 0) & (rows < cut_h)
    in_cols = (cols >= 0) & (cols < cut_w)
    cut = in_rows[:, :, None] & in_cols[:, None, :]
    return 1.0 - tf.cast(cut, images.dtype)[..., None]


def apply_params(images, params: dict):
    """``images`` [B, H, W, C] transformed by ``params`` (``draw_params``), in the reference's order: colour
    (brightness, saturation, contrast), translation, cutout. Differentiable in ``images``."""
    x = images
    if "brightness" in params:
        dtype = x.dtype
        x = x + tf.cast(params["brightness"], dtype)
        mean = tf.reduce_mean(x, axis=3, keepdims=True)
        x = (x - mean) * tf.cast(params["saturation"], dtype) + mean
        mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
        x = (x - mean) * tf.cast(params["contrast"], dtype) + mean
    if "shift_x" in params:
        x = _shift(_shift(x, params["shift_x"], axis=2), params["shift_y"], axis=1)
    if "cutout_x" in params:
        x = x * _cutout_mask(x, params["cutout_y"], params["cutout_x"])
    return x


@keras.saving.register_keras_serializable(package="facezoo")
class DiffAugment(Augmenter):
    """``policy``: comma-separated groups (``color``, ``translation``, ``cutout``); empty = identity (no random
    numbers drawn). Each ``augment`` call draws its own parameters, as the reference draws reals' and fakes'
    separately; ``augment_pair`` transforms two batches with one draw."""

    def __init__(self, policy: str = DEFAULT_POLICY, seed: int = 0, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.policy = str(policy)
        self.groups = parse_policy(policy)

    def draw(self, images) -> dict:
        return draw_params(images, self.groups, self.seed_generator)

    def augment(self, images, params: dict | None = None):
        if not self.groups:
            return images
        return apply_params(images, self.draw(images) if params is None else params)

    def augment_pair(self, real, fake):
        """(real, fake) of one batch size, transformed with the same parameters (one draw)."""
        if not self.groups:
            return real, fake
        params = self.draw(real)
        return apply_params(real, params), apply_params(fake, params)

    def get_config(self):
        return {**super().get_config(), "policy": self.policy}
