"""A gallery of generator presets side by side, each labelled with its face-feature distance to real faces.

    python -m zoo.gallery dcgan_utkface_64 vae_utkface_64 --count 16 --seed 0 --out gallery.png

Every panel is ``count`` faces drawn from z ~ N(0, I) with ``numpy.random.default_rng(seed)`` (the same z for
presets of the same latent size). The label gives the distance recorded in the preset's metadata
(``face_feature_distance``: FD in a zoo classifier's features, with the command that measured it), or says that
none was recorded; nothing is computed or made up here.
"""

from __future__ import annotations

import argparse
import sys


def distance_label(meta: dict) -> str:
    """'FD[extractor] 36.45' from a preset's metadata, or 'no distance recorded'."""
    fd = meta.get("face_feature_distance") or {}
    for key, value in fd.items():
        if key.startswith("FD[") and isinstance(value, dict) and "mean" in value:
            return f"{key} {value['mean']:.1f}"
    return "no distance recorded"


def gallery(presets: list[str], count: int = 16, seed: int = 0):
    """[(preset, grid uint8 [H, W, 3], label)] for generator presets (z [B, latent_dim] -> images in [-1, 1])."""
    import numpy as np

    from zoo.registry import PresetError, from_preset
    from zoo.utils.images import make_grid

    panels = []
    for name in presets:
        model = from_preset(name)
        dim = getattr(model, "latent_dim", None)
        if dim is None:
            raise PresetError(f"{name} is not a generator preset (it has no latent_dim): gallery takes generators "
                              f"and decoders")
        z = np.random.default_rng(seed).standard_normal((count, int(dim))).astype("float32")
        images = np.asarray(model(z, training=False))
        panels.append((name, make_grid(images), distance_label(model.preset_metadata)))
    return panels


def save_gallery(panels, path: str, cols: int = 4) -> None:
    """Labelled panels in rows of ``cols`` as a PNG, written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from zoo.utils.io import atomic_path

    cols = max(1, min(cols, len(panels)))
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.6 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, (name, grid, label) in zip(axes.flat, panels):
        ax.imshow(grid, interpolation="nearest")
        ax.set_title(f"{name}\n{label}", fontsize=9)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=80, bbox_inches="tight", pad_inches=0.1)
    plt.close(fig)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m zoo.gallery", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("presets", nargs="+", help="generator or decoder presets (built-in names or folders)")
    p.add_argument("--count", type=int, default=16, help="faces per preset (default: 16)")
    p.add_argument("--seed", type=int, default=0, help="seed of the latents (default: 0)")
    p.add_argument("--cols", type=int, default=4, help="panels per row (default: 4)")
    p.add_argument("--out", required=True, help="PNG file to write")
    args = p.parse_args(argv)
    from zoo.registry import PresetError

    if not 1 <= args.count <= 256:
        print(f"python -m zoo.gallery: error: --count must be 1-256, got {args.count}", file=sys.stderr)
        return 2
    try:
        save_gallery(gallery(args.presets, args.count, args.seed), args.out, args.cols)
    except (PresetError, OSError) as e:
        print(f"python -m zoo.gallery: error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
