"""Gradio demo: sample and interpolate faces from the generator presets, analyse a face with the classifiers.

    python -m demo.app [--port 7860] [--share]

``build_demo()`` returns the ``gr.Blocks``; nothing is launched on import. The functions behind the widgets
(``generate``, ``interpolate``, ``analyze``) are plain numpy in / numpy out and are tested on their own.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys

import numpy as np


def preset_kinds() -> dict[str, list[str]]:
    """Built-in presets sorted into ``generators`` (latent vector in, image out) and ``classifiers``."""
    from zoo.registry import list_presets, resolve_preset
    from zoo.utils.io import read_json

    kinds = {"generators": [], "classifiers": []}
    for name in list_presets():
        cfg = read_json(os.path.join(resolve_preset(name), "config.json"))
        shape = cfg.get("build_config", {}).get("input_shape") or []
        if cfg.get("class_name") == "FaceClassifier":
            kinds["classifiers"].append(name)
        elif len(shape) == 2:
            kinds["generators"].append(name)
    return kinds


@functools.lru_cache(maxsize=8)
def _model(name: str):
    from zoo.registry import from_preset

    return from_preset(name)


def _latents(model, seeds) -> np.ndarray:
    dim = int(model.get_build_config()["input_shape"][-1])
    return np.stack([np.random.default_rng(int(s)).standard_normal(dim) for s in seeds]).astype("float32")


def generate(preset: str, seed: int = 0, count: int = 16) -> np.ndarray:
    """A grid (uint8 [H, W, 3]) of ``count`` faces from generator ``preset``, face i drawn with seed + i."""
    from zoo.utils.images import make_grid

    model = _model(preset)
    images = model(_latents(model, range(int(seed), int(seed) + int(count))), training=False)
    return make_grid(np.asarray(images))


def interpolate(preset: str, seed_a: int = 0, seed_b: int = 1, steps: int = 8) -> np.ndarray:
    """One row (uint8) of faces along the spherical interpolation between the latents of two seeds."""
    from zoo.utils.images import make_grid

    model = _model(preset)
    za, zb = _latents(model, [seed_a, seed_b])
    omega = np.arccos(np.clip(np.dot(za / np.linalg.norm(za), zb / np.linalg.norm(zb)), -1.0, 1.0))
    ts = np.linspace(0.0, 1.0, int(steps))
    if omega < 1e-6:
        z = np.stack([(1 - t) * za + t * zb for t in ts])
    else:
        z = np.stack([(np.sin((1 - t) * omega) * za + np.sin(t * omega) * zb) / np.sin(omega) for t in ts])
    return make_grid(np.asarray(model(z.astype("float32"), training=False)), cols=int(steps))


def analyze(image: np.ndarray, presets: list[str]) -> dict:
    """Predictions of each classifier preset for one face image (uint8 [H, W, 3] or [H, W])."""
    import tensorflow as tf

    from zoo.data.utkface import GENDERS, RACES

    if image is None:
        raise ValueError("no image given")
    img = np.asarray(image)
    if img.ndim == 2:
        img = img[..., None]
    if img.ndim != 3 or img.shape[-1] not in (1, 3, 4):
        raise ValueError(f"expected an image [H, W, 3], got shape {img.shape}")
    img = img[..., :3] if img.shape[-1] == 4 else img
    out = {}
    for name in presets:
        model = _model(name)
        x = tf.image.resize(tf.convert_to_tensor(img, tf.float32), (model.image_size, model.image_size),
                            antialias=True)
        if model.channels == 1 and x.shape[-1] == 3:
            x = tf.image.rgb_to_grayscale(x)
        elif model.channels == 3 and x.shape[-1] == 1:
            x = tf.image.grayscale_to_rgb(x)
        pred = model(x[None] / 127.5 - 1.0, training=False)
        if "gender" in pred:
            p = np.asarray(pred["gender"])[0]
            out["gender"] = {GENDERS[i]: float(p[i]) for i in range(2)}
        if "ethnicity" in pred:
            p = np.asarray(pred["ethnicity"])[0]
            out["ethnicity"] = {RACES[i]: float(p[i]) for i in range(5)}
        if "age" in pred:
            out["age"] = float(np.asarray(pred["age"]).reshape(-1)[0])
    return out


def build_demo():
    """The Gradio app (not launched)."""
    import gradio as gr

    kinds = preset_kinds()
    with gr.Blocks(title="facezoo") as demo:
        gr.Markdown("# facezoo\nFaces from the zoo's pretrained generators, and the face classifiers at work. "
                    "Models trained on UTKFace are for non-commercial research only.")
        with gr.Tab("Generate"):
            with gr.Row():
                g_preset = gr.Dropdown(kinds["generators"], value=(kinds["generators"] or [None])[0],
                                       label="generator preset")
                seed = gr.Number(0, precision=0, label="seed")
                count = gr.Slider(1, 64, value=16, step=1, label="faces")
            g_out = gr.Image(label="samples", type="numpy")
            gr.Button("Generate").click(generate, [g_preset, seed, count], g_out)
        with gr.Tab("Interpolate"):
            with gr.Row():
                i_preset = gr.Dropdown(kinds["generators"], value=(kinds["generators"] or [None])[0],
                                       label="generator preset")
                seed_a = gr.Number(0, precision=0, label="seed A")
                seed_b = gr.Number(1, precision=0, label="seed B")
                steps = gr.Slider(2, 16, value=8, step=1, label="steps")
            i_out = gr.Image(label="interpolation", type="numpy")
            gr.Button("Interpolate").click(interpolate, [i_preset, seed_a, seed_b, steps], i_out)
        with gr.Tab("Analyse a face"):
            with gr.Row():
                face = gr.Image(label="face", type="numpy")
                c_presets = gr.CheckboxGroup(kinds["classifiers"], value=kinds["classifiers"],
                                             label="classifier presets")
            c_out = gr.JSON(label="predictions")
            gr.Button("Analyse").click(analyze, [face, c_presets], c_out)
    return demo


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m demo.app", description=__doc__)
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--share", action="store_true")
    args = p.parse_args(argv)
    build_demo().launch(server_port=args.port, share=args.share)
    return 0


if __name__ == "__main__":
    sys.exit(main())
