"""Penalties on the discriminator: gradient penalty (WGAN-GP), L2 on weights (L2 GAN), weight clipping (WGAN)."""

from __future__ import annotations

import tensorflow as tf
from keras import ops


def interpolate(real, fake, epsilon):
    """x_hat = epsilon * real + (1 - epsilon) * fake, in float32. ``epsilon``: [B] or [B, 1, 1, 1] in [0, 1]."""
    real = tf.cast(real, tf.float32)
    fake = tf.cast(fake, tf.float32)
    eps = tf.reshape(tf.cast(epsilon, tf.float32), [-1] + [1] * (len(real.shape) - 1))
    return eps * real + (1.0 - eps) * fake


def gradient_penalty(critic, real, fake, epsilon, weight: float = 10.0, loss_scale=1.0):
    """Per-example gradient penalty [B]: ``weight * (||d critic(x_hat) / d x_hat||_2 - 1)^2`` (Gulrajani et al.).

    real, fake: images [B, H, W, C]; epsilon: one uniform draw per example, [B] or [B, 1, 1, 1]. The
    interpolation, the gradient and its norm are computed in float32 (under mixed precision a float16 norm of
    small gradients underflows). ``critic(x, training=True)`` returns scores [B, 1] (or a tuple whose first
    element is the scores). ``loss_scale`` (the mixed-precision loss scale, 1 without one) multiplies the scores
    before the inner gradient and is divided out after it, so the float16 backward pass does not underflow.
    """
    x_hat = interpolate(real, fake, epsilon)
    scale = tf.cast(loss_scale, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x_hat)
        scores = critic(x_hat, training=True)
        if isinstance(scores, (tuple, list)):
            scores = scores[0]
        scores = tf.reduce_sum(tf.cast(scores, tf.float32)) * scale  # each score depends only on its own example
    grads = tf.cast(tape.gradient(scores, x_hat), tf.float32) / scale
    norm = tf.sqrt(tf.reduce_sum(tf.square(tf.reshape(grads, [tf.shape(grads)[0], -1])), axis=1) + 1e-12)
    return weight * tf.square(norm - 1.0)


def kernel_variables(model):
    """The model's trainable kernels (dense and convolution weight matrices): no biases, no norm scales."""
    return [v for v in model.trainable_variables if v.path.rsplit("/", 1)[-1] == "kernel"]


def l2_weight_penalty(variables, weight: float = 0.02):
    """Scalar ``weight * sum(W^2)`` over ``variables`` (the L2 GAN's penalty on discriminator kernels), float32."""
    if not variables:
        return tf.constant(0.0, tf.float32)
    return weight * tf.add_n([tf.reduce_sum(tf.square(tf.cast(v, tf.float32))) for v in variables])


def clip_weights(variables, clip_value: float = 0.01) -> None:
    """Clip every variable in place to ``[-clip_value, clip_value]`` (WGAN's Lipschitz constraint)."""
    if clip_value <= 0:
        raise ValueError(f"clip_value must be positive, got {clip_value}")
    for v in variables:
        v.assign(ops.clip(v, -clip_value, clip_value))
