"""Edit: move a sampled face or an uploaded photo along the preset's PCA components and attribute directions;
StyleGAN presets also edit a chosen range of synthesis layers and mix the styles of two seeds."""

from __future__ import annotations

import numpy as np

from demo import core, latents
from demo.tabs.generate import MAX_SEED

PCA_SLIDERS = 6
DIRECTION_SLIDERS = 6
SPAN = 3.0  # slider range in standard deviations (PCA) or direction units (the papers go to 2.5)


def edit(preset: str, seed: int = 0, photo=None, encoder: str | None = None, projection_steps: int = 100,
         pca_amounts=(), attribute_amounts=None, layers=None, scale: int = 1,
         resample: str = "nearest", align: bool = True, pivotal_steps: int = 0) -> np.ndarray:
    """A row (uint8) of two faces: the unedited one (seed, or the uploaded photo's encoding / projection) and
    the edited one; with a photo, the photo as the model reads it first (its largest face aligned, or with
    ``align=False`` its central square; no face found is a DemoError), and with ``pivotal_steps`` both drawn by a
    copy of the generator tuned to the photo (``latents.photo_model``). ``pca_amounts[k]`` in standard deviations
    of component k; ``attribute_amounts`` {name: amount}; ``layers`` (start, stop) restricts a StyleGAN edit to
    those synthesis layers."""
    shown, model = [], None
    if photo:
        shown = [latents.photo_input(preset, photo, align)]
        latent = latents.photo_latent(preset, photo, encoder, projection_steps, align)
        model = latents.photo_model(preset, photo, encoder, projection_steps, align, pivotal_steps)
    else:
        latent = latents.seed_latent(preset, core.as_int(seed, "seed", 0, MAX_SEED))
    edited = latents.apply_edits(preset, latent, pca_amounts, attribute_amounts, layers)
    faces = np.concatenate([*shown, latents.decode(preset, latent, model), latents.decode(preset, edited, model)])
    return core.grid(faces, scale, resample, cols=len(faces))


def mix(preset: str, seed_a: int = 0, seed_b: int = 1, crossover: int = 4, scale: int = 1,
        resample: str = "nearest") -> np.ndarray:
    """A row (uint8): seed A, seed B, and A's coarse styles (layers before ``crossover``) with B's fine ones."""
    seed_a, seed_b = (core.as_int(s, "seed", 0, MAX_SEED) for s in (seed_a, seed_b))
    return core.grid(latents.mix_styles(preset, seed_a, seed_b, crossover), scale, resample, cols=3)


def controls(preset: str) -> dict:
    """What the Edit tab shows for ``preset``: slider labels (PCA then directions), the StyleGAN layer count
    (0 for others) and a description."""
    if not preset:
        return {"pca": [], "directions": [], "num_ws": 0, "text": "choose a generator preset"}
    p, _ = latents.pca(preset)
    names = sorted(latents.attribute_directions(preset))[:DIRECTION_SLIDERS]
    pcs = []
    if p is not None:
        for k in range(min(PCA_SLIDERS, len(p.stds))):
            pcs.append(f"PC{k + 1} ({100 * float(p.explained_variance_ratio[k]):.1f}% of the variance), std")
    m = core.model(preset)
    num_ws = int(m.num_ws) if core.is_stylegan(m) and latents.space(preset) == "w" else 0
    return {"pca": pcs, "directions": names, "num_ws": num_ws, "text": latents.describe(preset)}


def build(kinds: dict, demo=None) -> None:
    import gradio as gr

    gens = kinds["generators"]
    first = (gens or [None])[0]

    with gr.Tab("Edit"):
        info = gr.Markdown(elem_id="edit-info")
        with gr.Row():
            preset = gr.Dropdown(gens, value=first, label="generator preset")
            seed = gr.Number(0, precision=0, minimum=0, label="seed (when no photo)")
            scale = gr.Slider(1, core.MAX_SCALE, value=4, step=1, label="enlarge (x)")
            resample = gr.Radio(list(core.RESAMPLING), value="lanczos", label="resampling")
        with gr.Accordion("an uploaded photo instead of a seed", open=False):
            with gr.Row():
                with gr.Column():
                    photo = core.upload_image("photo", height=200, elem_id="edit-photo")
                    core.examples(photo)
                encoder = gr.Dropdown([""] + kinds["encoders"], value="", label="encoder (empty: project)")
                proj = gr.Slider(10, core.MAX_PROJECTION_STEPS, value=100, step=10, label="projection steps")
                pivotal = gr.Slider(0, core.MAX_PIVOTAL_STEPS, value=core.PIVOTAL_STEPS, step=10,
                                    label="pivotal tuning steps (0: off; keeps the person, not for diffusion)")
                align = gr.Checkbox(True, label=core.ALIGN_LABEL)
        with gr.Row():  # the sliders beside the result: a released slider redraws it, no scrolling
            with gr.Column(scale=1):
                gr.Markdown("**PCA components** (standard deviations)")
                pcs = [gr.Slider(-SPAN, SPAN, value=0, step=0.25, visible=False) for _ in range(PCA_SLIDERS)]
            with gr.Column(scale=1):
                gr.Markdown("**attribute directions**")
                dirs = [gr.Slider(-SPAN, SPAN, value=0, step=0.25, visible=False) for _ in range(DIRECTION_SLIDERS)]
            with gr.Column(scale=2):
                out = gr.Image(label="(photo as read |) unedited | edited", type="numpy", elem_id="edit-output")
                button = gr.Button("Edit", variant="primary", elem_id="edit-button")
        with gr.Accordion("StyleGAN: layer range and style mixing", open=False, visible=False) as style:
            with gr.Row():
                layered = gr.Checkbox(False, label="edit only layers start..stop")
                start = gr.Slider(0, 18, value=0, step=1, label="start layer")
                stop = gr.Slider(1, 18, value=4, step=1, label="stop layer (excluded)")
            with gr.Row():
                seed_b = gr.Number(1, precision=0, minimum=0, label="mixing seed B")
                crossover = gr.Slider(0, 18, value=4, step=1, label="crossover layer (A before, B from it)")
                mix_button = gr.Button("Mix styles")
            mixed = gr.Image(label="A, B, A's coarse + B's fine styles", type="numpy")

        def show(p):
            c = controls(p)
            ups = [gr.update(visible=k < len(c["pca"]), label=c["pca"][k] if k < len(c["pca"]) else "", value=0)
                   for k in range(PCA_SLIDERS)]
            ups += [gr.update(visible=k < len(c["directions"]), value=0,
                              label=c["directions"][k] if k < len(c["directions"]) else "")
                    for k in range(DIRECTION_SLIDERS)]
            n = c["num_ws"]
            if n:  # values inside the new ranges: Gradio refuses a value above a slider's maximum
                ups += [gr.update(visible=True), gr.update(maximum=n - 1, value=0),
                        gr.update(maximum=n, value=min(4, n)), gr.update(maximum=n, value=min(4, n))]
            else:
                ups += [gr.update(visible=False), gr.update(), gr.update(), gr.update()]
            return ups + [c["text"], gr.update(value=core.encoder_for(p, kinds["encoders"]) or "")]

        def run(v, progress=gr.Progress(track_tqdm=True)):  # v: {component: value} (a set of inputs)
            names = controls(v[preset])["directions"]
            attrs = {n: v[d] for n, d in zip(names, dirs)}
            layers = (v[start], v[stop]) if v[layered] else None
            return edit(v[preset], v[seed], v[photo], v[encoder], v[proj], [v[c] for c in pcs], attrs, layers,
                        v[scale], v[resample], v[align], v[pivotal])

        shown = pcs + dirs + [style, start, stop, crossover, info, encoder]
        preset.change(core.in_page(show), preset, shown)
        inputs = {preset, seed, photo, encoder, proj, pivotal, align, scale, resample, layered, start, stop, *pcs, *dirs}
        button.click(core.in_page(run), inputs, out)
        photo.upload(core.in_page(run), inputs, out)  # an upload shows its aligned face and projection at once
        for slider in (*pcs, *dirs, scale, start, stop):
            slider.release(core.in_page(run), inputs, out)
        mix_button.click(core.in_page(mix), [preset, seed, seed_b, crossover, scale, resample], mixed)
        if demo is not None:  # the first preset's sliders, once the page is open (not at build time)
            demo.load(core.in_page(show), preset, shown)
