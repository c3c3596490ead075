"""The continuous-time diffusion schedule and the DDIM update, written once for any array library: ``xp`` is
``numpy`` (the TensorFlow-free runtime) or ``keras.ops`` (the models). Nothing heavy is imported here.

Diffusion time t in [0, 1]; a noisy image is ``signal_rate(t) * x + noise_rate(t) * eps`` with
``signal_rate ** 2 + noise_rate ** 2 = 1`` (the keras.io DDIM example's continuous cosine schedule, Nichol &
Dhariwal 2021 section 3.2, with the signal rate kept between ``min_signal_rate`` and ``max_signal_rate``).
"""

from __future__ import annotations

import math

PREDICTIONS = ("noise", "velocity")


def cosine_schedule(times, min_signal_rate: float = 0.02, max_signal_rate: float = 0.95, xp=None):
    """times (any shape, in [0, 1]) -> (noise_rates, signal_rates): angle ``a = acos(max) + t (acos(min) -
    acos(max))``, noise ``sin a``, signal ``cos a``; the signal rate falls monotonically from ``max_signal_rate``
    at t = 0 to ``min_signal_rate`` at t = 1."""
    if xp is None:
        import numpy as xp
    start, end = math.acos(max_signal_rate), math.acos(min_signal_rate)
    angles = start + times * (end - start)
    return xp.sin(angles), xp.cos(angles)


def split_prediction(prediction: str, output, noisy_images, noise_rates, signal_rates):
    """The network's ``output`` for ``noisy_images`` -> (predicted noise, predicted image).

    ``noise``: output is eps, x = (z - sigma eps) / alpha. ``velocity`` (Salimans & Ho 2022, appendix D):
    output is v = alpha eps - sigma x, so x = alpha z - sigma v and eps = sigma z + alpha v."""
    if prediction == "noise":
        return output, (noisy_images - noise_rates * output) / signal_rates
    if prediction == "velocity":
        return noise_rates * noisy_images + signal_rates * output, signal_rates * noisy_images - noise_rates * output
    raise ValueError(f"unknown prediction {prediction!r}; expected one of {PREDICTIONS}")


def training_target(prediction: str, images, noises, noise_rates, signal_rates):
    """What the network learns to output for ``signal_rates * images + noise_rates * noises``."""
    if prediction == "noise":
        return noises
    if prediction == "velocity":
        return signal_rates * noises - noise_rates * images
    raise ValueError(f"unknown prediction {prediction!r}; expected one of {PREDICTIONS}")


def ddim_update(pred_images, pred_noises, next_noise_rates, next_signal_rates, noise_rates=None, signal_rates=None,
                eta: float = 0.0, fresh_noise=None, xp=None):
    """The next noisy image from the current estimate (DDIM, Song et al. 2021, eq. 12).

    eta = 0 (deterministic DDIM): ``next_signal * x0 + next_noise * eps``. eta > 0 replaces part of the predicted
    noise with ``fresh_noise`` (standard normal, the image's shape): sigma_t = eta * sqrt((1 - a_next) / (1 - a))
    * sqrt(1 - a / a_next) with a = signal_rate ** 2 (eq. 16; eta 1 is DDPM's ancestral sampler)."""
    if eta == 0 or fresh_noise is None:
        return next_signal_rates * pred_images + next_noise_rates * pred_noises
    if xp is None:
        import numpy as xp
    a, a_next = signal_rates ** 2, next_signal_rates ** 2
    sigma = eta * xp.sqrt((1.0 - a_next) / (1.0 - a)) * xp.sqrt(xp.maximum(1.0 - a / a_next, 0.0))
    direction = xp.sqrt(xp.maximum(next_noise_rates ** 2 - sigma ** 2, 0.0))
    return next_signal_rates * pred_images + direction * pred_noises + sigma * fresh_noise


def sampling_times(steps: int, start: float = 1.0):
    """The ``steps + 1`` diffusion times a sampler visits, from ``start`` down to 0 in equal steps."""
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    if not 0 < start <= 1:
        raise ValueError(f"start must be in (0, 1], got {start}")
    return [start * (1.0 - i / steps) for i in range(steps + 1)]
