"""Analyse: every classifier preset's predictions for one face, each result under its preset's name."""

from __future__ import annotations

import numpy as np

from demo import core


def analyze(image, presets, align: bool = True) -> dict:
    """{preset: {"gender": {male, female}, "ethnicity": {5 groups}, "age": years}} for one face image
    (uint8 [H, W, 3] or [H, W]); each preset reports the tasks it predicts. The image's largest face is aligned
    to the UTKFace template first (``core.face_crop``; no face is a DemoError), or with ``align=False`` its
    central square is read."""
    from zoo.data.utkface import GENDERS, RACES

    if image is None:
        raise core.DemoError("upload a face image first")
    if not presets:
        raise core.DemoError("choose at least one classifier preset")
    img = np.asarray(image)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, -1)
    if img.ndim != 3 or img.shape[-1] not in (1, 3, 4) or min(img.shape[:2]) < 1:
        raise core.DemoError(f"expected an image [H, W, 3], got shape {img.shape}")
    img = np.repeat(img, 3, -1) if img.shape[-1] == 1 else img[..., :3]
    if align:
        img = core.face_crop(img)  # square: the central square below is all of it
    out = {}
    for name in presets:
        m = core.model(name)
        pred = m(core.to_model_input(img, m.image_size, m.channels), training=False)
        res = {}
        if "gender" in pred:
            p = np.asarray(pred["gender"]).reshape(-1)
            res["gender"] = {GENDERS[i]: float(p[i]) for i in range(len(GENDERS))}
        if "ethnicity" in pred:
            p = np.asarray(pred["ethnicity"]).reshape(-1)
            res["ethnicity"] = {RACES[i]: float(p[i]) for i in range(len(RACES))}
        if "age" in pred:
            res["age"] = float(np.asarray(pred["age"]).reshape(-1)[0])
        out[name] = res
    return out


def table(results: dict) -> str:
    """A markdown table: one row per preset, the most likely gender and ethnicity (with probability, marked "low
    confidence" below ``predict``'s ``LOW_CONFIDENCE``) and age (never marked: its head gives no uncertainty)."""
    from zoo.classification.predict import LOW_CONFIDENCE

    def top(d):
        if not d:
            return "-"
        k = max(d, key=d.get)
        return f"{k} ({d[k]:.2f}{', low confidence' if d[k] < LOW_CONFIDENCE else ''})"

    lines = ["| preset | gender | ethnicity | age (years) |", "|---|---|---|---|"]
    for name, r in results.items():
        age = f"{r['age']:.1f}" if "age" in r else "-"
        lines.append(f"| {name} | {top(r.get('gender'))} | {top(r.get('ethnicity'))} | {age} |")
    return "\n".join(lines)


def analyse_upload(path, presets, align: bool = True) -> tuple:
    """The tab's work: ``(face as read uint8, markdown table, results)`` for an uploaded file."""
    image = core.read_upload(path)
    crop = core.face_crop(image, align)
    results = analyze(crop if align else image, presets, align=False)
    return crop, table(results), results


TAB_ID = "analyse"


def build(kinds: dict, demo=None) -> dict:
    """The Analyse tab; returns {"face": its upload widget} (Generate's "Send to Analyse" fills it)."""
    import gradio as gr

    clfs = kinds["classifiers"]


    with gr.Tab("Analyse", id=TAB_ID):
        gr.Markdown("Gender, ethnicity and age of a face by each classifier preset (UTKFace's labels and "
                    "groups; the age preset is the seven-model ensemble).")
        with gr.Row():
            with gr.Column():
                face = core.upload_image("face", elem_id="analyse-input")
                core.examples(face)
            with gr.Column():
                presets = gr.CheckboxGroup(clfs, value=clfs, label="classifier presets")
                align = gr.Checkbox(True, label=core.ALIGN_LABEL)
        button = gr.Button("Analyse", variant="primary", elem_id="analyse-button")
        with gr.Row():
            read = gr.Image(label="the face as the models read it", type="numpy", height=200,
                            elem_id="analyse-face")
            summary = gr.Markdown(elem_id="analyse-table")
        with gr.Accordion("probabilities by preset", open=False):
            details = gr.JSON(label="probabilities by preset")
        button.click(core.in_page(analyse_upload), [face, presets, align], [read, summary, details])
    return {"face": face}
