"""Diffusion presets (``DDIMSampler``) in the demo: which presets are diffusion models, their DDIM steps, faces
sampled with a chosen number of steps and SDEdit restoration, in Keras (the sampler's Python loop; its tqdm bar
is what ``gr.Progress(track_tqdm=True)`` shows in the page).

Any preset name or folder whose model is a ``DDIMSampler`` works here; none is named in this module.
"""

from __future__ import annotations

import numpy as np

from demo import core

MAX_DDIM_STEPS = 100
DIFFUSION_CLASSES = ("DDIMSampler",)


def is_diffusion_preset(name: str) -> bool:
    """The preset's model is a diffusion sampler (read from its config.json, nothing loaded)."""
    return bool(name) and core._config(name).get("class_name") in DIFFUSION_CLASSES


def is_diffusion(m) -> bool:
    from zoo.latent.models import is_diffusion as check

    return check(m)


def default_steps(name: str) -> int | None:
    """The DDIM steps a diffusion preset samples with by default (its ``steps``), None for other presets."""
    if not is_diffusion_preset(name):
        return None
    return int(core._config(name).get("config", {}).get("steps", 20))


def steps_update(name: str) -> dict:
    """The "DDIM steps" slider for ``name``: shown at the preset's steps for a diffusion model, hidden otherwise."""
    import gradio as gr

    steps = default_steps(name)
    return gr.update(visible=steps is not None, value=steps if steps is not None else 20)


def sample(name: str, z, steps=None) -> np.ndarray:
    """Images [B, S, S, C] in [-1, 1] of diffusion preset ``name`` from z [B, S*S*C] by ``steps`` deterministic
    DDIM steps (default: the preset's), the same z and steps giving the same faces."""
    m = core.model(name)
    if not is_diffusion(m):
        raise core.DemoError(f"{name} is a {type(m).__name__}, not a diffusion model")
    steps = m.steps if steps is None else core.as_int(steps, "DDIM steps", 1, MAX_DDIM_STEPS)
    return np.asarray(m.generate(np.asarray(z, np.float32), steps=steps, progress=True), np.float32)


def sdedit(name: str, images, strength: float = 0.5, seed: int = 0) -> np.ndarray:
    """SDEdit of images [B, H, W, C] in [-1, 1] by diffusion preset ``name``: noised to diffusion time
    ``strength`` in (0, 1], denoised back (the preset's steps scaled by ``strength``). Images of another size are
    resized to the model's and the result back to theirs."""
    from zoo.latent.models import resize_images

    m = core.model(name)
    if not is_diffusion(m):
        raise core.DemoError(f"{name} is a {type(m).__name__}, not a diffusion model: choose a DDIM preset")
    try:
        strength = float(strength)
    except (TypeError, ValueError):
        strength = float("nan")
    if not 0.0 < strength <= 1.0:
        raise core.DemoError(f"SDEdit strength must be above 0 and at most 1, got {strength}")
    x = np.asarray(images, np.float32)
    size, channels = x.shape[1], x.shape[-1]
    out = np.asarray(m.restore(resize_images(x, m.image_size, m.channels), strength, seed=int(seed),
                               progress=True), np.float32)
    return resize_images(out, size, channels)
