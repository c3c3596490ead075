"""Remove background: an uploaded photo through the offline segmenter shipped with facezoo (or a rembg model
already on disk): the transparent cut-out, its mask, and the photo with a grey and with a blurred background."""

from __future__ import annotations

import functools

import numpy as np

from demo import core

MAX_SIDE = 1024  # larger photos are shrunk first (the segmenter works at 256 px; compositing is per pixel)


def models() -> list[str]:
    """The segmenters that run without a download: auto, the shipped one, and rembg's cached models."""
    from zoo.segmentation import SHIPPED, is_cached
    from zoo.segmentation.sessions import AUTO_ORDER

    return ["auto", SHIPPED] + [m for m in AUTO_ORDER if is_cached(m)]


@functools.lru_cache(maxsize=4)
def _session(model: str):
    from zoo.segmentation import make_session

    return make_session(model, threads=1)


def remove_background(image, model: str = "auto", blur_sigma: float = 0.04) -> dict[str, np.ndarray]:
    """``image`` uint8 [H, W, 3] -> {"mask": uint8 [H, W] (255 = person), "cutout": uint8 [H, W, 4] (RGBA,
    alpha = the mask), "grey": uint8 [H, W, 3] (128 behind the person), "blur": uint8 [H, W, 3] (its own
    background blurred with a Gaussian of ``blur_sigma`` x the height)}, images over MAX_SIDE pixels a side shrunk
    first. The copies are ``zoo.data.remove_background.variant``'s, as the command writes them."""
    from PIL import Image

    from zoo.data.remove_background import VARIANTS, segment, variant

    if model not in models():
        raise core.DemoError(f"segmenter must be one of {', '.join(models())}, got {model!r}")
    if not 0.0 < float(blur_sigma) <= 0.2:
        raise core.DemoError(f"blur sigma must be above 0 and at most 0.2 of the height, got {blur_sigma}")
    img = np.asarray(image, np.uint8)
    if img.ndim != 3 or img.shape[-1] != 3:
        raise core.DemoError(f"expected an RGB image [H, W, 3], got shape {img.shape}")
    if max(img.shape[:2]) > MAX_SIDE:
        pil = Image.fromarray(img)
        pil.thumbnail((MAX_SIDE, MAX_SIDE), Image.LANCZOS)
        img = np.asarray(pil)
    mask = segment(img, _session(model))
    return {"mask": mask, **{v: variant(img, mask, v, float(blur_sigma)) for v in VARIANTS}}


def build(kinds: dict, demo=None) -> None:
    import gradio as gr

    def run(path, model, sigma):
        out = remove_background(core.read_upload(path, "photo"), model, sigma)
        return out["cutout"], out["mask"], out["grey"], out["blur"]

    with gr.Tab("Remove background"):
        gr.Markdown("The person cut out (transparent PNG: download it from the image), their mask from facezoo's "
                    "offline segmenter (MediaPipe selfie segmentation, Apache-2.0, shipped with the package; `auto` "
                    "prefers a rembg portrait model already on disk), and the photo with a grey or a blurred "
                    "background, as the recipes' `--background` uses them.")
        with gr.Row():
            with gr.Column():
                photo = core.upload_image("photo", height=240, elem_id="background-input")
                core.examples(photo)
            with gr.Column():
                model = gr.Dropdown(models(), value="auto", label="segmenter")
                sigma = gr.Slider(0.01, 0.2, value=0.04, step=0.01, label="blur sigma (fraction of the height)")
                button = gr.Button("Remove background", variant="primary", elem_id="background-button")
            cutout = gr.Image(label="cut-out (transparent PNG)", type="numpy", image_mode="RGBA", format="png",
                              elem_id="background-cutout")
        with gr.Row():
            mask = gr.Image(label="mask", type="numpy", elem_id="background-mask")
            grey = gr.Image(label="grey background", type="numpy")
            blur = gr.Image(label="blurred background", type="numpy")
        inputs, outputs = [photo, model, sigma], [cutout, mask, grey, blur]
        button.click(core.in_page(run), inputs, outputs)
        sigma.release(core.in_page(run), inputs, outputs)
