"""Generate: a grid of faces from any generator preset, enlarged, with the truncation psi of StyleGAN presets and
the number of DDIM steps of diffusion presets."""

from __future__ import annotations

import os

import numpy as np

from demo import core, diffusion

MAX_SEED = 2**31 - 1


def generate(preset: str, seed: int = 0, count: int = 16, psi: float = 1.0, scale: int = 1,
             resample: str = "nearest", backend: str = "auto", ddim_steps=None) -> np.ndarray:
    """A grid (uint8 [H, W, 3]) of ``count`` faces from generator ``preset``, face i drawn with seed + i,
    each enlarged ``scale`` times (``resample``: nearest or lanczos). ``psi``: StyleGAN's truncation;
    ``ddim_steps``: a diffusion preset's sampling steps, 1 to 100 (default: the preset's; ignored by others)."""
    count = core.as_int(count, "the number of faces", 1, core.MAX_FACES)
    seed = core.as_int(seed, "seed", 0, MAX_SEED - count)
    if not 0.0 <= float(psi) <= 1.0:
        raise core.DemoError(f"truncation psi must be from 0 to 1, got {psi}")
    m = core.model(preset)
    z = core.seed_latents(m.latent_dim, range(seed, seed + count))
    return core.grid(core.render(preset, z, psi, backend, ddim_steps), scale, resample)


def first_face(preset: str, seed: int = 0, psi: float = 1.0, ddim_steps=None) -> np.ndarray:
    """Face 0 of the Generate grid for ``seed`` (uint8 [H, W, 3], not enlarged): what "Send to Analyse" sends."""
    seed = core.as_int(seed, "seed", 0, MAX_SEED - 1)
    if not 0.0 <= float(psi) <= 1.0:
        raise core.DemoError(f"truncation psi must be from 0 to 1, got {psi}")
    z = core.seed_latents(core.model(preset).latent_dim, [seed])
    return core.enlarge(core.render(preset, z, psi, steps=ddim_steps))[0]


def build(kinds: dict, demo=None) -> dict:
    """The Generate tab; returns {"send": the "Send to Analyse" button, "send_inputs": its inputs} for
    ``demo.app`` to connect to the Analyse tab (built later)."""
    import gradio as gr

    from demo import onnx_cache

    gens = kinds["generators"]
    first = (gens or [None])[0]

    def run(preset, seed, count, psi, scale, resample, steps, progress=gr.Progress(track_tqdm=True)):
        is_ddim = diffusion.is_diffusion_preset(preset)
        image = generate(preset, seed, count, psi, scale, resample, ddim_steps=steps if is_ddim else None)
        stem = f"{os.path.basename(os.path.normpath(preset))}-seed{int(seed)}-{int(count)}"
        how = f"Keras, {int(steps)} DDIM steps" if is_ddim else onnx_cache.status(preset)
        return image, core.save_png(image, stem), f"answered by {how}"

    with gr.Tab("Generate"):
        gr.Markdown("Faces from a generator preset: face *i* is drawn from seed + *i* (the same seed gives the "
                    "same face in every tab). StyleGAN presets take a truncation psi (1 = none). Sliders apply "
                    "when released.")
        with gr.Row():  # the controls beside the result, so the faces show without scrolling
            with gr.Column(scale=1, min_width=260):
                preset = gr.Dropdown(gens, value=first, label="generator preset")
                seed = gr.Number(0, precision=0, minimum=0, label="seed")
                count = gr.Slider(1, core.MAX_FACES, value=16, step=1, label="faces")
                psi = gr.Slider(0.0, 1.0, value=1.0, step=0.05, label="truncation psi (StyleGAN)")
                first_steps = diffusion.default_steps(first) if first else None
                steps = gr.Slider(1, diffusion.MAX_DDIM_STEPS, value=first_steps or 20, step=1,
                                  visible=first_steps is not None, label="DDIM steps (diffusion)",
                                  elem_id="generate-ddim-steps")
                scale = gr.Slider(1, core.MAX_SCALE, value=4, step=1, label="enlarge (x)")
                resample = gr.Radio(list(core.RESAMPLING), value="nearest", label="resampling")
                button = gr.Button("Generate", variant="primary", elem_id="generate-button")
                send = gr.Button("Send face 1 to Analyse", elem_id="generate-send")
            with gr.Column(scale=2):
                out = gr.Image(label="samples", type="numpy", elem_id="generate-output")
                with gr.Row():
                    download = gr.File(label="download the grid (PNG)")
                    backend = gr.Markdown()
        inputs, outputs = [preset, seed, count, psi, scale, resample, steps], [out, download, backend]
        preset.change(core.in_page(diffusion.steps_update), preset, steps)
        button.click(core.in_page(run), inputs, outputs)
        for slider in (count, psi, scale, steps):
            slider.release(core.in_page(run), inputs, outputs)
    return {"send": send, "send_inputs": [preset, seed, psi, steps]}


def send_to_analyse(preset: str, seed: int = 0, psi: float = 1.0, ddim_steps=None) -> str:
    """The first face of the grid saved as a PNG, for the Analyse tab's upload widget; returns its path.
    ``ddim_steps`` is used by diffusion presets only (the slider's value, hidden for others)."""
    if not preset or not diffusion.is_diffusion_preset(preset):
        ddim_steps = None
    face = first_face(preset, seed, psi, ddim_steps)
    return core.save_png(face, f"{os.path.basename(os.path.normpath(preset))}-seed{int(seed)}-face")
