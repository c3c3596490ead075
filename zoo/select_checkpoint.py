"""Choose an autoencoder run's checkpoint on held-out faces: the reconstruction error of each checkpoint on the
validation part of the presets' split (never the test part, which is for reporting).

    python -m zoo.select_checkpoint runs/00000-utkface_vae --real utkface:../shared/data/utkface \\
        [--split validation] [--n 1000] [--out choice.json]

Every checkpoint the run kept (``--keep-checkpoints 0`` keeps them all) reconstructs the same ``--n`` faces (a seeded
draw of the split's part) from their posterior means; the table gives MSE, PSNR and SSIM on [0, 1] pixels and the
checkpoint with the lowest MSE. For a generator, compare checkpoints with ``python -m zoo.evaluate --fake
RUN/checkpoints/ckpt-* --real utkface:DIR --split validation``.
"""

from __future__ import annotations

import os
import re
import sys

from zoo.utils.arguments import Parser, integer, run_command

PROG = "python -m zoo.select_checkpoint"


def checkpoints(run_dir: str) -> list[str]:
    """The run's checkpoint folders, oldest first."""
    folder = os.path.join(run_dir, "checkpoints")
    names = sorted(n for n in os.listdir(folder) if re.fullmatch(r"ckpt-\d+", n)) if os.path.isdir(folder) else []
    if not names:
        raise ValueError(f"{run_dir} has no checkpoints (expected {folder}/ckpt-<step>)")
    return [os.path.join(folder, n) for n in names]


def held_out_faces(real: str, split: str, n: int, image_size: int, channels: int):
    """``n`` faces of ``split`` (a seeded draw), float32 [n, S, S, C] in [-1, 1]."""
    import numpy as np

    from zoo.metrics.image_sets import resolve

    images = resolve(real, real=True, split=split, image_size=image_size)
    batches = images.batches(n, 100, seed=0, resolution=image_size, channels=channels)
    return np.concatenate([np.asarray(b, np.float32) / 127.5 - 1.0 for b in batches])


def score(run_dir: str, faces, paths: list[str]) -> list[dict]:
    """One row per checkpoint: step and the reconstruction metrics of ``faces``."""
    import numpy as np
    from tqdm.auto import tqdm

    from zoo.metrics.reconstruction import reconstruction_metrics
    from zoo.runs import load_run

    rows = []
    for path in tqdm(paths, desc="checkpoints", unit="ckpt"):
        _, _, trainer = load_run(run_dir, path)
        if not hasattr(trainer, "reconstruct"):
            raise ValueError(f"{run_dir}: {type(trainer).__name__} does not reconstruct images; compare a "
                             f"generator's checkpoints with python -m zoo.evaluate --split validation")
        recon = np.concatenate([np.asarray(trainer.reconstruct(faces[i:i + 250])) for i in range(0, len(faces), 250)])
        m = reconstruction_metrics(faces, recon)
        rows.append({"checkpoint": os.path.basename(path), "step": trainer.completed_steps(),
                     **{k: v["mean"] for k, v in m.items()}})
    return rows


def main(argv=None) -> int:
    p = Parser(prog=PROG, description=__doc__.split("\n\n")[0])
    p.add_argument("run_dir", help="an autoencoder run folder (VAE, VAE-GAN)")
    p.add_argument("--real", required=True, help="the run's dataset: utkface:DIR or ffhq:DIR")
    p.add_argument("--split", default="validation", choices=("validation", "test", "train", "all"))
    p.add_argument("--n", type=integer(1, 1_000_000), default=1000, help="faces (a seeded draw of the split)")
    p.add_argument("--out", help="write the table and the choice as JSON")
    args = p.parse_args(argv)

    def command():
        from zoo.runs import load_run
        from zoo.utils.io import write_json

        _, cfg, _ = load_run(args.run_dir)
        paths = checkpoints(args.run_dir)
        faces = held_out_faces(args.real, args.split, args.n, cfg.image_size, getattr(cfg, "channels", 3))
        rows = score(args.run_dir, faces, paths)
        best = min(rows, key=lambda r: r["mse"])
        print(f"{len(faces)} {args.split} faces of {args.real}, [0, 1] pixels")
        print("| checkpoint | step | MSE | PSNR (dB) | SSIM |\n|---|---|---|---|---|")
        for r in rows:
            mark = " (lowest)" if r is best else ""
            print(f"| {r['checkpoint']}{mark} | {r['step']:,} | {r['mse']:.5f} | {r['psnr']:.2f} | "
                  f"{r.get('ssim', float('nan')):.3f} |")
        if args.out:
            write_json(args.out, {"run": args.run_dir, "real": args.real, "split": args.split, "faces": len(faces),
                                  "rows": rows, "chosen": best["checkpoint"], "rule": "lowest MSE"})
        return 0

    return run_command(PROG, command)


if __name__ == "__main__":
    sys.exit(main())
