"""Reconstruction metrics per image: PSNR and SSIM (``tf.image``) and MSE, for images in [-1, 1].

All three are computed on the [0, 1] intensity scale (images are mapped x -> (x + 1) / 2 first, max_val 1):
SSIM's luminance term assumes non-negative intensities, so computing it directly on [-1, 1] values would
score an image and its negative as similar. PSNR is the same on either scale; MSE is reported on [0, 1].
"""

from __future__ import annotations

import tensorflow as tf


def _pair(a, b):
    a, b = tf.convert_to_tensor(a, tf.float32), tf.convert_to_tensor(b, tf.float32)
    if a.shape != b.shape or a.shape.rank != 4:
        raise ValueError(f"reconstruction metrics need two image batches [B, H, W, C] of one shape, got {a.shape} "
                         f"and {b.shape}")
    return (a + 1.0) / 2.0, (b + 1.0) / 2.0


def mse(images, reconstructions) -> tf.Tensor:
    """Mean squared error per image [B] on the [0, 1] scale."""
    a, b = _pair(images, reconstructions)
    return tf.reduce_mean(tf.square(a - b), axis=[1, 2, 3])


def psnr(images, reconstructions) -> tf.Tensor:
    """PSNR in dB per image [B]: 10 log10(1 / MSE on [0, 1]) (``tf.image.psnr``)."""
    a, b = _pair(images, reconstructions)
    return tf.image.psnr(a, b, max_val=1.0)


def ssim(images, reconstructions) -> tf.Tensor:
    """SSIM per image [B] (``tf.image.ssim`` on [0, 1]: 11x11 Gaussian window, sigma 1.5, k1 0.01, k2 0.03).
    Images must be at least 11x11."""
    a, b = _pair(images, reconstructions)
    if a.shape[1] < 11 or a.shape[2] < 11:
        raise ValueError(f"SSIM needs images of at least 11x11 pixels (its filter size), got {a.shape[1:3]}")
    return tf.image.ssim(a, b, max_val=1.0)


def reconstruction_metrics(images, reconstructions) -> dict:
    """{"psnr", "ssim", "mse"} -> {"mean", "std"} over the batch (SSIM only for images of 11 px and up)."""
    out = {"psnr": psnr(images, reconstructions), "mse": mse(images, reconstructions)}
    if tf.convert_to_tensor(images).shape[1] >= 11:
        out["ssim"] = ssim(images, reconstructions)
    return {k: {"mean": float(tf.reduce_mean(v)), "std": float(tf.math.reduce_std(v))} for k, v in out.items()}
