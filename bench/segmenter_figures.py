"""Figures of a finished ``python -m zoo.data.remove_background SRC DST`` run (docs/background.md), and mask statistics.

    python -m bench.segmenter_figures ../shared/data/utkface ../utkface_rembg [--out docs/images] [--seed 0]

Writes ``background_panel.png`` (the paper's Figure 1 on real faces: original, mask, blurred and grey background,
one column per face) and ``background_masks_64.png`` (64 random faces with what the mask calls background tinted
red, to inspect the masks' quality), and prints the distribution of the person's share of each image.
"""

from __future__ import annotations

import argparse
import os

import numpy as np


def _load(path: str, size: int) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("RGB").resize((size, size), Image.Resampling.BILINEAR))


def panel(src: str, dst: str, rels: list, out: str, size: int = 96) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from zoo.data.remove_background import output_paths

    rows = ["original", "mask", "blurred background", "grey background"]
    fig, axes = plt.subplots(len(rows), len(rels), figsize=(1.3 * len(rels), 1.3 * len(rows) + 0.2))
    for j, rel in enumerate(rels):
        p = output_paths(rel, dst)
        tiles = [_load(os.path.join(src, rel), size), _load(p["mask"], size), _load(p["blur"], size),
                 _load(p["grey"], size)]
        for i, tile in enumerate(tiles):
            ax = axes[i, j]
            ax.imshow(tile)
            ax.set_xticks([])
            ax.set_yticks([])
            if j == 0:
                ax.set_ylabel(rows[i], fontsize=8)
    fig.tight_layout(pad=0.3)
    fig.savefig(out, dpi=100)
    plt.close(fig)


def mask_grid(src: str, dst: str, rels: list, out: str, size: int = 64) -> None:
    """8 x 8 tiles: the face, with the pixels the mask calls background (< 128) tinted red."""
    from PIL import Image

    from zoo.data.remove_background import output_paths

    tiles = []
    for rel in rels:
        face = _load(os.path.join(src, rel), size).astype(np.float32)
        mask = _load(output_paths(rel, dst)["mask"], size)[..., :1].astype(np.float32) / 255.0
        tinted = 0.35 * face + 0.65 * np.array([220.0, 30.0, 30.0])
        tiles.append((mask * face + (1 - mask) * tinted).astype(np.uint8))
    n = int(np.sqrt(len(tiles)))
    grid = np.concatenate([np.concatenate(tiles[r * n:(r + 1) * n], 1) for r in range(n)], 0)
    Image.fromarray(grid).save(out)


def coverage(dst: str, rels: list) -> np.ndarray:
    """The person's share (mask >= 128) of each image."""
    from PIL import Image

    from zoo.data.remove_background import output_paths

    out = []
    for rel in rels:
        with Image.open(output_paths(rel, dst)["mask"]) as m:
            out.append(float((np.asarray(m) >= 128).mean()))
    return np.asarray(out)


def main(argv=None) -> None:
    from zoo.data.remove_background import list_images, output_paths
    from zoo.utils.io import read_json

    parser = argparse.ArgumentParser(prog="python -m bench.segmenter_figures", description=__doc__)
    parser.add_argument("src")
    parser.add_argument("dst")
    parser.add_argument("--out", default="docs/images")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rels = [r for r in list_images(args.src, args.dst) if os.path.isfile(output_paths(r, args.dst)["mask"])]
    rng = np.random.default_rng(args.seed)
    picks = [rels[i] for i in rng.choice(len(rels), 64 + 6, replace=False)]
    os.makedirs(args.out, exist_ok=True)
    panel(args.src, args.dst, picks[64:], os.path.join(args.out, "background_panel.png"))
    mask_grid(args.src, args.dst, picks[:64], os.path.join(args.out, "background_masks_64.png"))
    share = coverage(args.dst, rels)
    q = np.percentile(share, [1, 10, 50, 90, 99])
    print(f"{len(rels)} masks; person's share of the image: percentiles 1/10/50/90/99 = "
          + " / ".join(f"{v:.2f}" for v in q)
          + f"; below 0.2: {(share < 0.2).sum()} images, above 0.98: {(share > 0.98).sum()} images")
    manifest = os.path.join(args.dst, "manifest.json")
    if os.path.isfile(manifest):
        for run in read_json(manifest)["runs"]:
            print(f"run: {run['model']}, {run['counts']}, {run['seconds']} s, {run['images_per_second']} img/s, "
                  f"workers {run['workers']}")


if __name__ == "__main__":
    main()
