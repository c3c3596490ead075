"""VAE losses. Each returns a per-example loss [B]; the trainer reduces over the global batch."""

from __future__ import annotations

from keras import ops


def kl_divergence(mean, log_var):
    """KL(N(mean, exp(log_var)) || N(0, I)) per example [B], summed over the latent dimensions.

    mean, log_var: [B, d]. Equals ``-0.5 * sum(1 + log_var - mean^2 - exp(log_var))``; 0 for a standard normal
    posterior (mean 0, log_var 0).
    """
    mean = ops.cast(mean, "float32")
    log_var = ops.cast(log_var, "float32")
    return -0.5 * ops.sum(1.0 + log_var - ops.square(mean) - ops.exp(log_var), axis=-1)


def summed_squared_error(target, prediction):
    """Sum over every non-batch axis of ``(target - prediction)^2``, per example [B] (the papers' summed MSE)."""
    diff = ops.cast(target, "float32") - ops.cast(prediction, "float32")
    return ops.sum(ops.reshape(ops.square(diff), (ops.shape(diff)[0], -1)), axis=1)


def to_unit_range(images):
    """[-1, 1] -> [0, 1]: reconstruction errors are taken on [0, 1] pixels, the scale the VAE papers use."""
    return (ops.cast(images, "float32") + 1.0) * 0.5


def reconstruction_loss(images, reconstructions):
    """Summed squared error between images and reconstructions (both [B, H, W, C] in [-1, 1]) on [0, 1]
    pixels, per example [B]."""
    return summed_squared_error(to_unit_range(images), to_unit_range(reconstructions))
