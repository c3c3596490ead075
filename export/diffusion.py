"""The diffusion case of ``python -m export``: a ``DDIMSampler``'s denoiser, with the sampler's settings in its card.

A diffusion preset's model is a ``DDIMSampler``: ``steps`` calls of its ``UNetDenoiser`` and the DDIM update
between them. What is exported is the denoiser alone (the EMA weights), one file with two inputs and a dynamic
batch::

    noisy_images     float32 [batch, S, S, C]   normalised images mixed with noise: signal_rate x + noise_rate eps
    noise_variances  float32 [batch, 1, 1, 1]   noise_rate ** 2
    prediction       float32 [batch, S, S, C]   the predicted noise (or velocity: the card's diffusion.prediction)

and the loop runs outside it, in numpy (``export.runtime_ddim.OnnxDDIM``), from the card's ``diffusion`` entry:
image size, channels, steps, signal-rate range of the cosine schedule, prediction, the training images' per-channel
``pixel_mean``/``pixel_std`` and the output value range. The parity check runs the file on random and face images,
normalised and noised at random diffusion times (one of each batch at time 1, where sampling starts).
"""

from __future__ import annotations

import os

import numpy as np

from export.exporter import (ExportError, Part, float32_copy, is_float32, model_card, parity_inputs,
                             save_card, write_checked)

INPUT_NAMES = ["noisy_images", "noise_variances"]
OUTPUT_NAME = "prediction"
VALUE_RANGE = [-1.0, 1.0]  # the zoo's image convention: the sampler clips its images to it


def sampler_of(obj):
    """The ``DDIMSampler`` that ``obj`` is or holds (a ``DiffusionTrainer``'s EMA ``generator``), else None."""
    from zoo.models.diffusion import DDIMSampler

    for candidate in (obj, getattr(obj, "generator", None)):
        if isinstance(candidate, DDIMSampler):
            return candidate
    return None


def diffusion_parts(obj) -> list[Part]:
    """[the denoiser part] of a DDIM sampler or a trainer holding one; [] for any other model."""
    sampler = sampler_of(obj)
    return [] if sampler is None else [Part("denoiser", "denoiser", sampler.denoiser, owner=sampler)]


def sampling_settings(sampler) -> dict:
    """The card's ``diffusion`` entry: everything a runtime needs to run ``sampler``'s loop around the denoiser."""
    return {
        "sampler": "DDIM (Song et al. 2021): times 1 -> 0 in `steps` equal steps; the last step returns its image "
                   "estimate; eta > 0 adds fresh noise (eq. 16)",
        "class_name": type(sampler).__name__,
        "image_size": int(sampler.image_size),
        "channels": int(sampler.channels),
        "latent_dim": int(sampler.latent_dim),
        "steps": int(sampler.steps),
        "schedule": "cosine: angle = acos(max_signal_rate) + t (acos(min_signal_rate) - acos(max_signal_rate)), "
                    "noise_rate = sin(angle), signal_rate = cos(angle)",
        "min_signal_rate": float(sampler.min_signal_rate),
        "max_signal_rate": float(sampler.max_signal_rate),
        "prediction": sampler.prediction,
        "pixel_mean": [float(v) for v in np.asarray(sampler.pixel_mean.numpy(), np.float64)],
        "pixel_std": [float(v) for v in np.asarray(sampler.pixel_std.numpy(), np.float64)],
        "value_range": list(VALUE_RANGE),
    }


def noise_rates(times, sampler):
    """(noise_rates, signal_rates) float32 of ``times`` float32 on ``sampler``'s schedule (numpy)."""
    from zoo.models.diffusion.schedule import cosine_schedule

    rates = cosine_schedule(np.asarray(times, np.float32), sampler.min_signal_rate, sampler.max_signal_rate, xp=np)
    return tuple(r.astype(np.float32) for r in rates)


def parity_batches(sampler, shapes, images_dir: str | None, seed: int = 0) -> list[tuple[str, list[np.ndarray]]]:
    """[(description, [noisy_images, noise_variances])]: the image batches any image-input part is checked on
    (random images at batch 8 and 1, and real or synthetic faces), normalised as the sampler does and noised at
    random diffusion times, the first image of each batch at time 1 (pure noise, where sampling starts)."""
    rng = np.random.default_rng(seed)
    mean = np.asarray(sampler.pixel_mean.numpy(), np.float32)
    std = np.asarray(sampler.pixel_std.numpy(), np.float32)
    batches = []
    for desc, images in parity_inputs(Part("images", "encoder", sampler), shapes[0], images_dir, seed):
        times = rng.uniform(0.0, 1.0, (len(images), 1, 1, 1)).astype(np.float32)
        times[0] = 1.0
        noise, signal = noise_rates(times, sampler)
        eps = rng.standard_normal(images.shape).astype(np.float32)
        noisy = (signal * ((images - mean) / std) + noise * eps).astype(np.float32)
        batches.append((f"{desc} normalised, noised at random times", [noisy, (noise ** 2).astype(np.float32)]))
    return batches


def card_io(sampler, shapes) -> tuple:
    """(inputs, outputs, preprocessing, postprocessing) of the denoiser's model card."""
    size, channels = int(sampler.image_size), int(sampler.channels)
    lowest, highest = noise_rates(np.array([0.0, 1.0], np.float32), sampler)[0] ** 2
    inputs = [{"name": INPUT_NAMES[0], "shape": list(shapes[0]), "dtype": "float32", "layout": "NHWC",
               "channels": "greyscale" if channels == 1 else "RGB",
               "range": "signal_rate * (images - pixel_mean) / pixel_std + noise_rate * N(0, 1) noise (unbounded)"},
              {"name": INPUT_NAMES[1], "shape": list(shapes[1]), "dtype": "float32",
               "range": [float(lowest), float(highest)]}]
    meaning = {"noise": "the predicted noise eps",
               "velocity": "the predicted velocity v = signal_rate * eps - noise_rate * x"}[sampler.prediction]
    outputs = [{"name": OUTPUT_NAME, "shape": [None, size, size, channels], "dtype": "float32", "range": meaning}]
    preprocessing = (f"z = numpy.random.default_rng(seed).standard_normal((n, {size * size * channels}))"
                     f".astype('float32').reshape(n, {size}, {size}, {channels}): the noisy image at diffusion time 1; "
                     f"at each time t, noise_variances = noise_rate(t) ** 2 (see 'diffusion')")
    postprocessing = ("images = clip(x0 * pixel_std + pixel_mean, -1, 1) of the last step's image estimate x0; "
                      "uint8 = clip(round((images + 1) / 2 * 255), 0, 255)")
    return inputs, outputs, preprocessing, postprocessing


def export_denoiser(part: Part, out_dir: str, fmt: str, *, opset: int, source: dict | None = None,
                    metadata: dict | None = None, images_dir: str | None = None, log=print) -> dict:
    """``export_part`` for a denoiser: ``denoiser.onnx`` (or ``.savedmodel``) and its card, with the sampling settings
    of ``part.owner`` (the ``DDIMSampler``) under ``card["diffusion"]``."""
    sampler = part.owner
    if sampler is None or sampler_of(sampler) is not sampler:
        raise ExportError(f"{part.model.name}: a denoiser is exported with its DDIMSampler (Part(..., owner=sampler)), "
                          f"whose steps, schedule and normalisation go into the model card; got {sampler!r}")
    os.makedirs(out_dir, exist_ok=True)
    original, model = None, part.model
    shapes = [tuple(s) for s in model.input_shapes()]
    if not is_float32(model):
        original, model = model, float32_copy(model, shapes)  # write_checked reports how far they differ
    reference = [(desc, x, model(x, training=False)) for desc, x in parity_batches(sampler, shapes, images_dir)]
    path = os.path.join(out_dir, f"{part.name}.{'onnx' if fmt == 'onnx' else 'savedmodel'}")
    digest, checked = write_checked(part, model, fmt, path, INPUT_NAMES, shapes, [OUTPUT_NAME], reference, opset, log,
                                    original=original)
    card = model_card(part, model, fmt, path, digest, shapes, INPUT_NAMES, [OUTPUT_NAME], reference[0][2], source,
                      metadata, io=card_io(sampler, shapes))
    card["diffusion"] = sampling_settings(sampler)
    return save_card(card, checked, path, log)
