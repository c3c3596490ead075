"""The tables of paper 003's M(d, beta) grid (``python -m bench.vae_grid``) from its shipped
``docs/data/vae_grid_*.json``, for the ``<!-- generated:vae-grid NAME -->`` blocks of the docs."""

from __future__ import annotations

import json
import os


def load(docs_dir: str, name: str) -> dict:
    with open(os.path.join(docs_dir, "data", f"vae_grid_{name}.json")) as f:
        return json.load(f)


def _cell(scores: dict) -> str:
    return f"{scores['psnr']['mean']:.2f} / {scores['ssim']['mean']:.3f}"


def _state(kl: float | None) -> str:
    """What the last logged KL says of the posterior: collapsed (< 0.1 nats), exploded (> 1e4) or in use."""
    if kl is None:
        return "not logged"
    if kl < 0.1:
        return f"{kl:.2g}: collapsed"
    if kl > 1e4:
        return f"{kl:.2g}: log-variance exploded"
    return f"{kl:.1f}"


def render(result: dict) -> str:
    """Two markdown tables: held-out reconstruction per model; restoration per damage (filters and models)."""
    models = result["models"]
    held = result["heldout"]
    lines = ["| model | steps | KL at the end (nats) | reconstruction term at the end | PSNR (dB) | SSIM | MSE |",
             "|---|---|---|---|---|---|---|"]
    for name, m in models.items():
        h, end = m["heldout"], m["training_end"]
        rec = f"{end['reconstruction']:.1f}" if end.get("reconstruction") is not None else "-"
        lines.append(f"| {name} | {m['steps']:,} | {_state(end.get('kl'))} | {rec} | {h['psnr']['mean']:.2f} | "
                     f"{h['ssim']['mean']:.3f} | {h['mse']['mean']:.4f} |")
    lines += ["", f"{held['images']:,} held-out faces ({held['split']}); the models trained on {held['trained_on']:,}.",
              ""]
    first = next(iter(models.values()))["restoration"]
    damages = list(first)
    filters = [m for m in first[damages[-1]] if m not in ("vae",)]
    head = ["damage"] + [f.replace("_", " ") for f in filters] + list(models)
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for d in damages:
        row = [d]
        row += [_cell(first[d][f]) if f in first[d] else "" for f in filters]
        row += [_cell(m["restoration"][d]["vae"]) for m in models.values()]
        lines.append("| " + " | ".join(row) + " |")
    count = next(iter(models.values()))["restored_faces"]
    lines += ["", f"PSNR (dB) / SSIM against the clean faces, {count:,} test faces, the same damage for every "
              "column; \"clean\" is each model's reconstruction of the undamaged faces, \"damaged\" the input "
              "as it is."]
    return "\n".join(lines) + "\n"
