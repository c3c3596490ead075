"""Interpolate: between two seeds or two uploaded faces, and the 4-corner matrix of four."""

from __future__ import annotations

import numpy as np

from demo import core, latents
from demo.tabs.generate import MAX_SEED

METHODS = ("slerp", "lerp")


def endpoint(preset: str, seed=0, photo=None, encoder: str | None = None, projection_steps: int = 100,
             align: bool = True):
    """[1, D] latent of an uploaded photo when one is given (its largest face aligned unless ``align=False``; its
    DDIM inversion for a diffusion preset), else of ``seed``."""
    if photo:
        return latents.photo_latent(preset, photo, encoder, projection_steps, align)
    return latents.seed_latent(preset, core.as_int(seed, "seed", 0, MAX_SEED))


def interpolate(preset: str, seed_a: int = 0, seed_b: int = 1, steps: int = 8, method: str = "slerp",
                scale: int = 1, resample: str = "nearest", photo_a=None, photo_b=None, encoder=None,
                projection_steps: int = 100, align: bool = True) -> np.ndarray:
    """One row (uint8 [H, W, 3]) of ``steps`` faces from A to B (both ends included), A and B from seeds or
    from uploaded photos (encoded with ``encoder`` or projected)."""
    from zoo.latent.interpolate import interpolate as between

    steps = core.as_int(steps, "steps", 2, core.MAX_STEPS)
    if method not in METHODS:
        raise core.DemoError(f"interpolation must be one of {', '.join(METHODS)}, got {method!r}")
    a = endpoint(preset, seed_a, photo_a, encoder, projection_steps, align)
    b = endpoint(preset, seed_b, photo_b, encoder, projection_steps, align)
    z = between(a[0], b[0], steps, method)
    return core.grid(latents.decode(preset, z), scale, resample, cols=steps)


def matrix(preset: str, seeds=(0, 1, 2, 3), steps: int = 5, scale: int = 1, resample: str = "nearest",
           photos=(None, None, None, None), encoder=None, projection_steps: int = 100,
           align: bool = True) -> np.ndarray:
    """The 4-corner interpolation matrix (uint8): ``steps`` x ``steps`` faces, bilinear between the corners
    top-left, top-right, bottom-left, bottom-right (seeds, or photos where given)."""
    from zoo.latent.interpolate import corner_matrix

    steps = core.as_int(steps, "matrix side", 2, core.MAX_STEPS)
    if len(seeds) != 4 or len(photos) != 4:
        raise core.DemoError(f"a corner matrix needs 4 corners, got {len(seeds)} seeds and {len(photos)} photos")
    corners = np.concatenate([endpoint(preset, s, p, encoder, projection_steps, align)
                              for s, p in zip(seeds, photos)])
    return core.grid(latents.decode(preset, corner_matrix(corners, steps)), scale, resample, cols=steps)


def photos_as_read(preset: str, photos, align: bool = True, scale: int = 1, resample: str = "nearest"):
    """A row (uint8) of the uploaded photos as ``preset`` reads them (largest face aligned, or central squares),
    None when no photo is given; a photo without a face is a DemoError naming it."""
    given = [(k, p) for k, p in enumerate(photos) if p]
    if not given:
        return None
    faces = []
    for k, p in given:
        try:
            faces.append(latents.photo_input(preset, p, align))
        except core.DemoError as e:
            raise core.DemoError(f"photo {'ABCD'[k]}: {e}") from None
    return core.grid(np.concatenate(faces), scale, resample, cols=len(faces))


def build(kinds: dict, demo=None) -> None:
    import gradio as gr

    gens = kinds["generators"]

    with gr.Tab("Interpolate"):
        gr.Markdown("Between two faces (seeds, or uploaded photos: encoded by the VAE's encoder when chosen, "
                    "by DDIM inversion for a diffusion preset, projected into the generator otherwise), and the "
                    "4-corner matrix of four seeds. slerp keeps a Gaussian latent's norm (a diffusion model's "
                    "noise mid-way between two seeds stays noise-like; lerp's shrinks).")
        with gr.Row():
            preset = gr.Dropdown(gens, value=(gens or [None])[0], label="generator preset")
            encoder = gr.Dropdown([""] + kinds["encoders"], value="", label="encoder for photos (empty: project)")
            proj = gr.Slider(10, core.MAX_PROJECTION_STEPS, value=100, step=10, label="projection steps")
            scale = gr.Slider(1, core.MAX_SCALE, value=2, step=1, label="enlarge (x)")
            resample = gr.Radio(list(core.RESAMPLING), value="nearest", label="resampling")
        with gr.Row():
            seed_a = gr.Number(0, precision=0, minimum=0, label="seed A")
            seed_b = gr.Number(1, precision=0, minimum=0, label="seed B")
            steps = gr.Slider(2, core.MAX_STEPS, value=8, step=1, label="steps")
            method = gr.Radio(list(METHODS), value="slerp", label="path")
        with gr.Row():
            photo_a = core.upload_image("photo A (optional)", height=160)
            photo_b = core.upload_image("photo B (optional)", height=160)
            with gr.Column():
                align = gr.Checkbox(True, label=core.ALIGN_LABEL)
                read = gr.Image(label="the photos as read", type="numpy", height=120, elem_id="interpolate-photos")
        button = gr.Button("Interpolate", variant="primary", elem_id="interpolate-button")
        row = gr.Image(label="interpolation", type="numpy", elem_id="interpolate-output")
        with gr.Row():
            seed_c = gr.Number(2, precision=0, minimum=0, label="seed C (bottom left)")
            seed_d = gr.Number(3, precision=0, minimum=0, label="seed D (bottom right)")
            side = gr.Slider(2, core.MAX_STEPS, value=5, step=1, label="matrix side")
        m_button = gr.Button("4-corner matrix", elem_id="matrix-button")
        grid = gr.Image(label="4-corner matrix (A top left, B top right)", type="numpy", elem_id="matrix-output")

        def run(p, a, b, n, how, s, r, pa, pb, enc, ps, al, progress=gr.Progress(track_tqdm=True)):
            shown = photos_as_read(p, (pa, pb), al, s, r)  # first: "no face found" before any projection
            return interpolate(p, a, b, n, how, s, r, pa, pb, enc, ps, al), shown

        def run_matrix(p, a, b, c, d, n, s, r, pa, pb, enc, ps, al, progress=gr.Progress(track_tqdm=True)):
            shown = photos_as_read(p, (pa, pb), al, s, r)
            return matrix(p, (a, b, c, d), n, s, r, (pa, pb, None, None), enc, ps, al), shown

        preset.change(lambda p: gr.update(value=core.encoder_for(p, kinds["encoders"]) or ""), preset, encoder)
        inputs = [preset, seed_a, seed_b, steps, method, scale, resample, photo_a, photo_b, encoder, proj, align]
        m_inputs = [preset, seed_a, seed_b, seed_c, seed_d, side, scale, resample, photo_a, photo_b, encoder, proj,
                    align]
        button.click(core.in_page(run), inputs, [row, read])
        m_button.click(core.in_page(run_matrix), m_inputs, [grid, read])
        for slider in (steps, scale):  # a released slider redraws, no button needed
            slider.release(core.in_page(run), inputs, [row, read])
        side.release(core.in_page(run_matrix), m_inputs, [grid, read])
