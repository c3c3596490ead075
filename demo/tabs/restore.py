"""Restore: a face damaged with noise or an erased block, restored by a VAE preset (encoder then decoder), by a
diffusion preset's SDEdit (noised to a diffusion time, denoised back) and by a mean filter, each scored against the
undamaged face by PSNR and SSIM."""

from __future__ import annotations

import numpy as np

from demo import core

DAMAGES = ("noise", "erase")


def restore(image, decoder: str, encoder: str, damage: str = "noise", noise_std: float = 0.2, blocks: int = 1,
            block_size: float = 0.3, filter_size: int = 3, seed: int = 0, scale: int = 1,
            resample: str = "nearest", diffusion: str | None = None, strength: float = 0.5,
            align: bool = True) -> tuple[np.ndarray, dict]:
    """``image`` uint8 [H, W, 3] -> (a row (uint8) of original | damaged | mean filter | VAE | SDEdit, {method:
    {"psnr", "ssim"}} against the original), at the VAE's resolution (the diffusion model's without a VAE).
    The VAE is used when ``encoder`` is given, SDEdit when ``diffusion`` is (at ``strength`` in (0, 1]); at least
    one of them. ``noise_std`` on the [-1, 1] scale; ``blocks`` squares of ``block_size`` x the side set to mid
    grey. The original is the image's largest face aligned to the UTKFace template (``align=False``: its central
    square); no face found is a DemoError."""
    from demo import diffusion as ddim
    from zoo.latent import restore as lib
    from zoo.metrics.reconstruction import reconstruction_metrics

    if not encoder and not diffusion:
        raise core.DemoError("restoration needs a VAE (choose its encoder and its decoder preset) or a diffusion "
                             "preset")
    if encoder and not decoder:
        raise core.DemoError(f"choose the decoder preset of the VAE encoder {encoder}")
    if damage not in DAMAGES:
        raise core.DemoError(f"damage must be one of {', '.join(DAMAGES)}, got {damage!r}")
    if not 0.0 <= float(noise_std) <= 1.0:
        raise core.DemoError(f"noise std must be from 0 to 1 (on the [-1, 1] scale), got {noise_std}")
    if not 0.0 < float(block_size) <= 0.9:
        raise core.DemoError(f"block size must be above 0 and at most 0.9 of the side, got {block_size}")
    blocks = core.as_int(blocks, "blocks", 1, 8)
    filter_size = core.as_int(filter_size, "filter size", 1, 15)
    seed = core.as_int(seed, "seed", 0, 2**31 - 1)
    size_of = core.model(decoder if encoder else diffusion)
    clean = core.face_input(np.asarray(image), size_of.image_size, size_of.channels, align)[0]
    if damage == "noise":
        bad = lib.add_noise(clean, float(noise_std), seed)
    else:
        bad = lib.erase_blocks(clean, blocks, float(block_size), 0.0, seed)
    outs = {"damaged": bad, "mean filter": lib.mean_filter(bad, filter_size)}
    if encoder:
        outs["VAE"] = lib.vae_reconstruct(core.model(encoder), core.model(decoder), bad)
    if diffusion:
        outs["SDEdit"] = ddim.sdedit(diffusion, bad, strength, seed)
    scores = {}
    for name, x in outs.items():
        s = reconstruction_metrics(clean, x)
        scores[name] = {k: s[k]["mean"] for k in ("psnr", "ssim") if k in s}
    faces = np.concatenate([clean, *outs.values()])
    return core.grid(faces, scale, resample, cols=len(faces)), scores


def table(scores: dict) -> str:
    lines = ["| against the original | PSNR (dB) | SSIM |", "|---|---|---|"]
    for name, s in scores.items():
        ssim = f"{s['ssim']:.3f}" if "ssim" in s else "-"
        lines.append(f"| {name} | {s['psnr']:.2f} | {ssim} |")
    return "\n".join(lines)


def build(kinds: dict, demo=None) -> None:
    import gradio as gr

    encoders, diffusions = kinds["encoders"], kinds.get("diffusion", [])
    decoders = [g for g in kinds["generators"] if g not in diffusions]
    pairs = {e: d for d in decoders if (e := core.encoder_for(d, encoders))}
    enc0 = next(iter(pairs), (encoders or [""])[0])
    dec0 = pairs.get(enc0, (decoders or [None])[0])

    def run(path, d, e, kind, std, n, size, fs, seed, sc, rs, ddim, strength, align,
            progress=gr.Progress(track_tqdm=True)):
        image, scores = restore(core.read_upload(path), d, e, kind, std, n, size, fs, seed, sc, rs, ddim, strength,
                                align)
        return image, table(scores)

    with gr.Tab("Restore"):
        note = "" if encoders or diffusions else (" **No VAE encoder or diffusion preset is installed, so this tab "
                                                  "cannot run yet.**")
        gr.Markdown("A face damaged with Gaussian noise or erased blocks, then restored by a VAE (its encoder's "
                    "posterior mean, decoded), by a diffusion model's SDEdit (noised to the diffusion time "
                    "*strength*, then denoised back: higher repairs more and keeps less) and by a mean filter; PSNR "
                    "and SSIM against the undamaged face, at the VAE's resolution. Leave the VAE encoder or the "
                    "diffusion preset empty to skip it." + note)
        with gr.Row():
            with gr.Column():
                face = core.upload_image("face", height=200, elem_id="restore-input")
                core.examples(face)
            with gr.Column():
                encoder = gr.Dropdown([""] + encoders, value=enc0 or "", label="VAE encoder preset (empty: no VAE)")
                decoder = gr.Dropdown(decoders, value=dec0, label="VAE decoder preset")
                ddim = gr.Dropdown([""] + diffusions, value=(diffusions or [""])[0],
                                   label="diffusion preset for SDEdit (empty: none)")
                strength = gr.Slider(0.05, 1.0, value=0.5, step=0.05, label="SDEdit strength (diffusion time)",
                                     elem_id="restore-strength")
                kind = gr.Radio(list(DAMAGES), value="noise", label="damage")
                align = gr.Checkbox(True, label=core.ALIGN_LABEL)
        with gr.Row():
            std = gr.Slider(0.0, 1.0, value=0.2, step=0.05, label="noise std ([-1, 1] scale)")
            n = gr.Slider(1, 8, value=1, step=1, label="erased blocks")
            size = gr.Slider(0.05, 0.9, value=0.3, step=0.05, label="block side (fraction)")
            fs = gr.Slider(1, 15, value=3, step=2, label="mean filter size")
            seed = gr.Number(0, precision=0, minimum=0, label="seed")
        with gr.Row():
            scale = gr.Slider(1, core.MAX_SCALE, value=4, step=1, label="enlarge (x)")
            resample = gr.Radio(list(core.RESAMPLING), value="nearest", label="resampling")
        button = gr.Button("Damage and restore", variant="primary", elem_id="restore-button")
        out = gr.Image(label="original (the face as read) | damaged | mean filter | VAE | SDEdit", type="numpy",
                       elem_id="restore-output")
        scores = gr.Markdown()
        inputs = [face, decoder, encoder, kind, std, n, size, fs, seed, scale, resample, ddim, strength, align]
        button.click(core.in_page(run), inputs, [out, scores])
        for slider in (std, n, size, fs, scale, strength):  # a released slider redraws, no button needed
            slider.release(core.in_page(run), inputs, [out, scores])
