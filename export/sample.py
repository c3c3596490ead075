"""python -m export.sample MODEL.onnx --n 16 --seed 0 --out grid.png [--steps N --eta E]

Samples a grid of faces from an exported generator (or VAE decoder), or by DDIM from an exported diffusion
denoiser (its model card beside it), with ONNX Runtime; needs numpy, onnxruntime and Pillow only. The same seed
writes the same image.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m export.sample", description=__doc__.split("\n\n")[1])
    p.add_argument("model", help="generator, decoder or denoiser .onnx file written by python -m export")
    p.add_argument("--n", type=int, default=16, help="number of images (default 16)")
    p.add_argument("--seed", type=int, default=0, help="latent seed (default 0)")
    p.add_argument("--out", required=True, help="PNG file to write")
    p.add_argument("--cols", type=int, default=None, help="grid columns (default: a square grid)")
    p.add_argument("--scale", type=int, default=1, help="enlarge the grid this many times (nearest neighbour)")
    p.add_argument("--steps", type=int, default=None,
                   help="diffusion denoisers only: DDIM steps (default: the model card's)")
    p.add_argument("--eta", type=float, default=0.0,
                   help="diffusion denoisers only: 0 deterministic DDIM (default), > 0 adds fresh noise (1: DDPM-like)")
    args = p.parse_args(sys.argv[1:] if argv is None else argv)
    if args.n < 1:
        p.error(f"--n must be at least 1, got {args.n}")
    if args.scale < 1:
        p.error(f"--scale must be at least 1, got {args.scale}")
    if args.steps is not None and args.steps < 1:
        p.error(f"--steps must be at least 1, got {args.steps}")
    if not args.eta >= 0 or args.eta == float("inf"):
        p.error(f"--eta must be a finite number >= 0, got {args.eta}")

    import numpy as np

    try:
        from PIL import Image

        from export.runtime import OnnxGenerator, make_grid
        from export.runtime_ddim import OnnxDDIM, is_denoiser
    except ImportError as e:  # onnxruntime (or Pillow) missing: name the extra, not a traceback
        print(f"python -m export.sample: error: {e}", file=sys.stderr)
        return 2

    try:
        if is_denoiser(args.model):
            images = OnnxDDIM(args.model).sample(args.n, seed=args.seed, steps=args.steps, eta=args.eta)
        elif args.steps is not None or args.eta:
            p.error(f"--steps and --eta apply to a diffusion denoiser; {args.model} has no denoiser model card")
        else:
            images = OnnxGenerator(args.model).sample(args.n, seed=args.seed)
    except (FileNotFoundError, ValueError) as e:  # unreadable model, or --n beyond the runtime's memory cap
        print(f"python -m export.sample: error: {e}", file=sys.stderr)
        return 2
    grid = make_grid(images, args.cols)
    img = Image.fromarray(np.ascontiguousarray(grid))
    if args.scale > 1:
        img = img.resize((img.size[0] * args.scale, img.size[1] * args.scale), Image.NEAREST)
    folder = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".png", dir=folder)
    os.close(fd)
    try:  # written under a temporary name, then renamed: never a half-written PNG
        img.save(tmp, format="PNG")
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)  # mkstemp makes it 0600
        os.replace(tmp, args.out)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    print(f"wrote {args.out}: {args.n} images {list(images.shape[1:])} from {args.model} (seed {args.seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
