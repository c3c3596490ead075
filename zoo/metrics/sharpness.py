"""Sharpness as the variance of the Laplacian (as ``cv2.Laplacian(grey).var()``), batched in TensorFlow.

The grey image is the ITU-R 601 luma of the RGB values in [0, 255] (not rounded); the 3x3 Laplacian
[[0, 1, 0], [1, -4, 1], [0, 1, 0]] uses mirrored borders (OpenCV's default BORDER_REFLECT_101, scipy's
``mode="mirror"``). Higher means sharper; blurry generated faces score low.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

_KERNEL = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], np.float32).reshape(3, 3, 1, 1)


def laplacian_variance(images) -> tf.Tensor:
    """Per-image Laplacian variance [B] of images [B, H, W, C] (C = 1 or 3) with values in [0, 255]
    (uint8, or float already on that scale)."""
    x = tf.cast(tf.convert_to_tensor(images), tf.float32)
    if x.shape.rank != 4 or x.shape[-1] not in (1, 3):
        raise ValueError(f"expected images [B, H, W, 1 or 3], got shape {x.shape}")
    if x.shape[-1] == 3:
        x = tf.image.rgb_to_grayscale(x)
    return _grey_laplacian_variance(x)


@tf.function(input_signature=[tf.TensorSpec((None, None, None, 1), tf.float32)])
def _grey_laplacian_variance(x):
    x = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT")
    lap = tf.nn.conv2d(x, tf.constant(_KERNEL), strides=1, padding="VALID")
    _, var = tf.nn.moments(lap, axes=[1, 2, 3])
    return var
