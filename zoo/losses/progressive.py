"""Penalties specific to the progressive GANs (ProGAN, StyleGAN), per example [B] and in float32.

The WGAN-GP gradient penalty itself is ``zoo.losses.penalties.gradient_penalty``; here are ProGAN's drift term
and the R1 penalty StyleGAN uses with the non-saturating logistic loss.
"""

from __future__ import annotations

import tensorflow as tf


def r1_penalty(critic, real, loss_scale=1.0):
    """||grad_x D(x)||^2 per example [B] on real images (Mescheder et al. 2018); the trainer weighs it by
    gamma / 2. ``critic(x, training=True)`` -> scores [B, 1]. ``loss_scale`` (the mixed-precision loss scale, 1
    without one) multiplies the scores before the inner gradient and is divided out after it, so the
    gradient does not underflow in float16."""
    x = tf.cast(real, tf.float32)
    scale = tf.cast(loss_scale, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = tf.reduce_sum(tf.cast(critic(x, training=True), tf.float32)) * scale
    grads = tf.cast(tape.gradient(total, x), tf.float32) / scale
    return tf.reduce_sum(tf.square(tf.reshape(grads, [tf.shape(grads)[0], -1])), axis=1)


def drift_penalty(real_scores):
    """D(x)^2 per example [B]: keeps the WGAN critic's output near zero (ProGAN's epsilon_drift = 0.001)."""
    s = tf.cast(real_scores, tf.float32)
    return tf.reduce_mean(tf.square(tf.reshape(s, [tf.shape(s)[0], -1])), axis=1)
