"""DDIM sampling of an exported diffusion denoiser with ONNX Runtime alone: numpy and onnxruntime, no TensorFlow,
no Keras, no zoo.

    from export.runtime_ddim import OnnxDDIM
    ddim = OnnxDDIM("exported/denoiser.onnx")        # reads denoiser.onnx.json, which it needs
    faces = ddim.sample(16, seed=0)                  # uint8 [16, S, S, C], the card's number of steps
    images = ddim.generate(z, steps=50)              # float32 [B, S, S, C] in [-1, 1] from z float32 [B, S*S*C]

``python -m export --preset <diffusion preset>`` writes ``denoiser.onnx`` (noisy images and noise variances ->
predicted noise or velocity) and a model card whose ``diffusion`` entry holds the loop's settings: image size,
channels, steps, the cosine schedule's signal-rate range, the prediction, the training images' ``pixel_mean`` and
``pixel_std``, the value range. The loop is ``DDIMSampler.reverse`` (zoo/models/diffusion/ddim_sampler.py) step for
step, in float32: diffusion times from 1 down to 0 in equal steps; at each, the denoiser's prediction gives the
noise and image estimates; the last step returns its image estimate, de-normalised and clipped to [-1, 1].

``eta`` > 0 samples stochastically (DDIM eq. 16, the same formula as the Keras sampler). Its fresh noise comes from
``numpy.random.default_rng(seed)``, not from the Keras random stream: a seed gives the same images on every run
here, but not the images ``DDIMSampler.generate(z, eta=..., seed=...)`` gives for that seed. With ``eta`` = 0 (the
default) sampling is deterministic and matches the Keras sampler for the same z.

Like ``export.runtime``, this module imports only the standard library, numpy and onnxruntime: keep it so.
"""

from __future__ import annotations

import json
import math
import os

import numpy as np

from export.runtime import _check_size, _range, check_batch_size, ort, session_options, to_uint8

PREDICTIONS = ("noise", "velocity")
INPUT_NAMES = ("noisy_images", "noise_variances")


# The schedule and the DDIM update: copies of zoo/models/diffusion/schedule.py's for numpy, which the runtime cannot
# import (zoo imports TensorFlow); tests/export/test_ddim_export.py checks that the two agree.

def cosine_schedule(times, min_signal_rate: float, max_signal_rate: float):
    """times float32 (any shape, in [0, 1]) -> (noise_rates, signal_rates) float32."""
    start, end = math.acos(max_signal_rate), math.acos(min_signal_rate)
    angles = start + times * (end - start)
    return np.sin(angles), np.cos(angles)


def split_prediction(prediction: str, output, noisy_images, noise_rates, signal_rates):
    """The denoiser's ``output`` -> (predicted noise, predicted normalised image)."""
    if prediction == "noise":
        return output, (noisy_images - noise_rates * output) / signal_rates
    return noise_rates * noisy_images + signal_rates * output, signal_rates * noisy_images - noise_rates * output


def ddim_update(pred_images, pred_noises, next_noise_rates, next_signal_rates, noise_rates, signal_rates,
                eta: float = 0.0, fresh_noise=None):
    """The next noisy image: ``next_signal * x0 + next_noise * eps`` (eta 0), or with part of the noise replaced by
    ``fresh_noise``: sigma = eta sqrt((1 - a_next) / (1 - a)) sqrt(1 - a / a_next), a = signal_rate ** 2."""
    if eta == 0 or fresh_noise is None:
        return next_signal_rates * pred_images + next_noise_rates * pred_noises
    a, a_next = signal_rates ** 2, next_signal_rates ** 2
    sigma = eta * np.sqrt((1.0 - a_next) / (1.0 - a)) * np.sqrt(np.maximum(1.0 - a / a_next, 0.0))
    direction = np.sqrt(np.maximum(next_noise_rates ** 2 - sigma ** 2, 0.0))
    return next_signal_rates * pred_images + direction * pred_noises + sigma * fresh_noise


def sampling_times(steps: int, start: float = 1.0) -> list[float]:
    """The ``steps + 1`` diffusion times the sampler visits, from ``start`` down to 0 in equal steps."""
    return [start * (1.0 - i / steps) for i in range(steps + 1)]


# ----------------------------------------------------------------------------------------------- the model card

def read_card(path: str) -> dict:
    """The model card beside ``path`` (``path + ".json"``), or a ValueError saying why there is none to read."""
    card_path = path + ".json"
    if not os.path.isfile(card_path):
        raise ValueError(f"{card_path}: no model card; a diffusion denoiser needs the card python -m export writes "
                         f"beside it (its steps, schedule and normalisation)")
    try:
        with open(card_path) as f:
            card = json.load(f)
    except (OSError, ValueError) as e:
        raise ValueError(f"{card_path}: not a readable JSON model card ({e})") from e
    if not isinstance(card, dict):
        raise ValueError(f"{card_path}: a model card is a JSON object, got {type(card).__name__}")
    return card


def is_denoiser(path: str) -> bool:
    """Whether the ONNX file at ``path`` has a model card of a diffusion denoiser beside it."""
    try:
        return read_card(path).get("kind") == "denoiser"
    except ValueError:
        return False


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def sampling_settings(card: dict, where: str) -> dict:
    """The card's ``diffusion`` entry, checked: a ValueError naming ``where`` (the card) and the bad field."""
    settings = card.get("diffusion")
    if card.get("kind") != "denoiser" or not isinstance(settings, dict):
        raise ValueError(f"{where}: not the model card of a diffusion denoiser (kind {json.dumps(card.get('kind'))}, "
                         f"{'a' if isinstance(settings, dict) else 'no'} 'diffusion' entry); python -m export writes "
                         f"one for a diffusion preset")

    def bad(key, expected):
        return ValueError(f"{where}: diffusion.{key} must be {expected}, got {json.dumps(settings.get(key))}")

    for key, low in (("image_size", 1), ("channels", 1), ("steps", 1)):
        if not _is_int(settings.get(key)) or settings[key] < low:
            raise bad(key, f"an integer >= {low}")
    for key in ("min_signal_rate", "max_signal_rate"):
        if not _is_number(settings.get(key)):
            raise bad(key, "a number in (0, 1]")
    if not 0 < settings["min_signal_rate"] < settings["max_signal_rate"] <= 1:
        raise ValueError(f"{where}: need 0 < diffusion.min_signal_rate < diffusion.max_signal_rate <= 1, got "
                         f"{settings['min_signal_rate']} and {settings['max_signal_rate']}")
    if settings.get("prediction") not in PREDICTIONS:
        raise bad("prediction", f"one of {', '.join(PREDICTIONS)}")
    channels = settings["channels"]
    for key in ("pixel_mean", "pixel_std"):
        value = settings.get(key)
        if not isinstance(value, list) or len(value) != channels or not all(_is_number(v) for v in value) or \
                (key == "pixel_std" and min(value) <= 0):
            raise bad(key, f"a list of {channels} finite numbers (one per channel){', all > 0' * (key == 'pixel_std')}")
    value_range = _range({"range": settings.get("value_range")}, f"{where}: diffusion.value_range")
    return {**settings, "value_range": value_range}


# ----------------------------------------------------------------------------------------------------- sampler

class OnnxDDIM:
    """An exported diffusion denoiser and its card: z float32 [B, latent_dim] (or noise images [B, S, S, C]) ->
    images [B, S, S, C] by DDIM.

    ``threads``, ``providers`` and ``spinning`` as for ``export.runtime.OnnxModel``. Attributes from the card:
    ``image_shape`` (S, S, C), ``latent_dim``, ``steps`` (the default), ``prediction``, ``min_signal_rate``,
    ``max_signal_rate``, ``pixel_mean``/``pixel_std`` (float32 [C]), ``value_range``.
    """

    def __init__(self, path: str, threads: int | None = None, providers=None, spinning: bool = True):
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{path}: no such ONNX file")
        self.path, self.name = path, os.path.basename(path)
        self.card = read_card(path)
        settings = sampling_settings(self.card, path + ".json")
        size, channels = settings["image_size"], settings["channels"]
        self.image_shape = (size, size, channels)
        self.latent_dim = size * size * channels
        self.steps, self.prediction = settings["steps"], settings["prediction"]
        self.min_signal_rate = float(settings["min_signal_rate"])
        self.max_signal_rate = float(settings["max_signal_rate"])
        self.pixel_mean = np.asarray(settings["pixel_mean"], np.float32)
        self.pixel_std = np.asarray(settings["pixel_std"], np.float32)
        self.value_range = settings["value_range"]
        try:
            self.session = ort.InferenceSession(path, session_options(threads, spinning),
                                                providers=providers or ["CPUExecutionProvider"])
        except Exception as e:  # ONNX Runtime raises its own exception types for unreadable files
            raise ValueError(f"{path}: not a loadable ONNX model ({e})") from e
        inputs = {i.name: [d if isinstance(d, int) else None for d in i.shape] for i in self.session.get_inputs()}
        wanted = {INPUT_NAMES[0]: [None, size, size, channels], INPUT_NAMES[1]: [None, 1, 1, 1]}
        if inputs != wanted or len(self.session.get_outputs()) != 1:
            def show(ports):
                return ", ".join(f"{k} {['batch' if v is None else v for v in s]}" for k, s in ports.items())

            raise ValueError(f"{path}: a denoiser of {size}x{size}x{channels} images (as its card says) takes "
                             f"{show(wanted)} and gives one output; this file takes {show(inputs)} and gives "
                             f"{len(self.session.get_outputs())}")

    # -- checks ------------------------------------------------------------------------------------------------
    def _noise_images(self, z) -> np.ndarray:
        size, _, channels = self.image_shape
        expected = f"float32 [batch, {self.latent_dim}] (or noise images [batch, {size}, {size}, {channels}])"
        if not isinstance(z, np.ndarray):
            raise TypeError(f"{self.name}: z must be a numpy array {expected}, got {type(z).__name__}")
        if z.dtype != np.float32:
            raise TypeError(f"{self.name}: z must be float32, got {z.dtype} (expected {expected}; convert with "
                            f".astype('float32'))")
        shape = (self.latent_dim,) if z.ndim == 2 else self.image_shape
        if z.ndim not in (2, 4) or len(z) < 1 or z.shape[1:] != shape:
            raise ValueError(f"{self.name}: z must have shape {expected}, got float32 {list(z.shape)}")
        bad = ~np.isfinite(z.reshape(len(z), -1)).all(axis=1)
        if bad.any():
            raise ValueError(f"{self.name}: z must be finite; rows {np.flatnonzero(bad)[:10].tolist()} hold NaN or "
                             f"inf (they would give blank images)")
        _check_size(f"{self.name}: generate", len(z), self.image_shape, 4)
        return z.reshape((len(z),) + self.image_shape)

    def _steps(self, steps) -> int:
        if steps is None:
            return self.steps
        if not (_is_int(steps) or isinstance(steps, np.integer)) or steps < 1:
            raise ValueError(f"steps must be an integer >= 1 (or None: the card's {self.steps}), got {steps!r}")
        return int(steps)

    # -- sampling ----------------------------------------------------------------------------------------------
    def rates(self, t: float, batch: int) -> tuple[np.ndarray, np.ndarray]:
        """(noise_rates, signal_rates) float32 [batch, 1, 1, 1] at diffusion time ``t``."""
        return cosine_schedule(np.full((batch, 1, 1, 1), t, np.float32), self.min_signal_rate, self.max_signal_rate)

    def predict(self, noisy_images: np.ndarray, noise_variances: np.ndarray, batch_size: int = 64) -> np.ndarray:
        """The denoiser's output float32 [B, S, S, C] for normalised noisy images [B, S, S, C] and their noise
        variances [B, 1, 1, 1], ``batch_size`` images per ONNX Runtime call."""
        return np.concatenate([self.session.run(None, {INPUT_NAMES[0]: noisy_images[i: i + batch_size],
                                                       INPUT_NAMES[1]: noise_variances[i: i + batch_size]})[0]
                               for i in range(0, len(noisy_images), batch_size)])

    def generate(self, z: np.ndarray, steps: int | None = None, eta: float = 0.0, seed=None,
                 batch_size: int = 64) -> np.ndarray:
        """float32 images [B, S, S, C] in ``value_range`` from z float32 [B, latent_dim] (or [B, S, S, C]), finite,
        with ``steps`` DDIM steps (default: the card's). ``eta`` > 0 adds fresh noise drawn from
        ``numpy.random.default_rng(seed)`` (``seed`` an int or a ``numpy.random.Generator``; required)."""
        x = self._noise_images(z)
        steps, batch_size = self._steps(steps), check_batch_size(batch_size)
        if isinstance(eta, bool) or not isinstance(eta, (int, float, np.integer, np.floating)) \
                or not math.isfinite(eta) or eta < 0:
            raise ValueError(f"eta must be a finite number >= 0 (0: deterministic DDIM, 1: DDPM-like), got {eta!r}")
        if eta > 0 and seed is None:
            raise ValueError("stochastic sampling (eta > 0) needs a seed")
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed) if eta > 0 else None
        times, batch = sampling_times(steps), len(x)
        pred_images = x
        for i in range(steps):
            noise_rates, signal_rates = self.rates(times[i], batch)
            output = self.predict(x, noise_rates ** 2, batch_size)
            pred_noises, pred_images = split_prediction(self.prediction, output, x, noise_rates, signal_rates)
            if i == steps - 1:
                break
            next_noise, next_signal = self.rates(times[i + 1], batch)
            fresh = rng.standard_normal(x.shape).astype(np.float32) if eta > 0 else None
            x = ddim_update(pred_images, pred_noises, next_noise, next_signal, noise_rates, signal_rates, eta,
                            fresh).astype(np.float32)
        return np.clip(pred_images * self.pixel_std + self.pixel_mean, *self.value_range).astype(np.float32)

    def latents(self, n: int, seed=None) -> np.ndarray:
        """n standard-normal latents float32 [n, latent_dim], reproducible from ``seed``."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"n must be a positive integer, got {n!r}")
        _check_size(f"latents({n})", int(n), self.image_shape, 4)
        return np.random.default_rng(seed).standard_normal((int(n), self.latent_dim)).astype(np.float32)

    def sample(self, n: int, seed: int | None = None, steps: int | None = None, eta: float = 0.0,
               batch_size: int = 64) -> np.ndarray:
        """n uint8 images [n, S, S, C] from latents drawn with ``seed`` (same seed, same images); with ``eta`` > 0
        the fresh noise continues the same numpy stream."""
        rng = np.random.default_rng(seed)
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"n must be a positive integer, got {n!r}")
        _check_size(f"sample({n})", int(n), self.image_shape, 4)
        z = rng.standard_normal((int(n), self.latent_dim)).astype(np.float32)
        return to_uint8(self.generate(z, steps, eta, rng, batch_size), self.value_range)
