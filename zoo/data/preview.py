"""See the training images as a run sees them, before training: the first batch of a recipe's data pipeline, and
with ``--augment`` the same images as its discriminator sees them.

    python -m zoo.data.preview --recipe celeba_dcgan --out preview.png [--count 32] [--ada-p 0.5] -- \\
        --data utkface --data-dir ../shared/data/utkface --train-on train --background grey --augment diffaugment

Everything after ``--`` is the recipe's own flags, parsed by the recipe's own ``Config``: the images come from the
same code a run of that command uses (``load_training_source``: split, ``--train-images``, background variant;
``make_dataset``: decoding, crop, resize, the seeded order of ``--seed``), so the first row is the first images that
run would train on. With ``--augment diffaugment`` or ``ada`` a second row shows them through the recipe's
augmenter (ADA at probability ``--ada-p``: a run starts at 0 and adapts it). Nothing is trained or written but
``--out``. The three papers that open with their preprocessed images (the UTKFace study, the background study,
paper 001) are reproduced by the matching flags.
"""

from __future__ import annotations

import importlib
import os
import sys

from zoo.utils.arguments import EXIT_BAD_INPUT, documented_parser

PROG = "python -m zoo.data.preview"


def first_batch(cfg, count: int):
    """(images uint8 [count, S, S, C], source) of the first ``count`` images a run of ``cfg`` trains on."""
    import numpy as np

    from zoo.data import make_dataset
    from zoo.utils.images import to_uint8
    from zoo.training.setup import load_training_source
    from zoo.utils.random import derive_seed

    side = getattr(cfg, "image_size", None) or max(getattr(cfg, "resolutions", (0,)) or (0,))
    source = load_training_source(cfg, None, image_size=side, whole_batches=False)
    count = min(count, len(source))
    channels = getattr(cfg, "channels", 3)
    ds = make_dataset(source, side, count, channels=channels, seed=derive_seed(cfg.seed, "data order"),
                      start_batch=0, cache=False)
    batch = next(iter(ds))
    images = batch[0] if isinstance(batch, (tuple, list)) else batch
    return to_uint8(np.asarray(images)), source


def augmented(cfg, images, ada_p: float):
    """``images`` (uint8) through the augmenter of ``cfg`` (DiffAugment, or ADA at probability ``ada_p``)."""
    import numpy as np

    from zoo.augment.options import make_augmenter
    from zoo.utils.images import to_uint8

    augmenter = make_augmenter(cfg)
    if cfg.augment == "ada":
        augmenter.p.assign(ada_p)
    x = images.astype(np.float32) / 127.5 - 1.0
    return to_uint8(np.asarray(augmenter.augment(x)))


def draw(rows: list[tuple[str, object]], title: str, path: str) -> None:
    """A figure of labelled rows of images (each row wrapped at 16 per line)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from zoo.utils.images import make_grid

    grids = [(label, make_grid(images, cols=min(16, len(images)))) for label, images in rows]
    height = sum(g.shape[0] / g.shape[1] for _, g in grids) * 10 + 0.6 * len(grids) + 0.4
    fig, axes = plt.subplots(len(grids), 1, figsize=(10, height), squeeze=False)
    for ax, (label, grid) in zip(axes[:, 0], grids):
        ax.imshow(grid)
        ax.set_title(label, fontsize=9)
        ax.axis("off")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    own, recipe_argv = (argv[:argv.index("--")], argv[argv.index("--") + 1:]) if "--" in argv else (argv, [])
    p = documented_parser(PROG, __doc__)
    p.add_argument("--recipe", required=True, help="a recipe module name (celeba_dcgan, utkface_vae, ...)")
    p.add_argument("--out", required=True, help="the PNG to write")
    p.add_argument("--count", type=int, default=32, help="images shown (default 32)")
    p.add_argument("--ada-p", type=float, default=0.5, help="ADA's augmentation probability for the second row")
    args = p.parse_args(own)
    if args.count < 1 or not 0.0 <= args.ada_p <= 1.0:
        p.error("--count must be positive and --ada-p in [0, 1]")
    try:
        recipe = importlib.import_module(f"recipes.{args.recipe}")
        config_cls = recipe.Config
    except (ImportError, AttributeError):
        known = sorted(f[:-3] for f in os.listdir(os.path.dirname(importlib.import_module("recipes").__file__))
                       if f.endswith(".py") and not f.startswith("_"))
        print(f"{PROG}: error: --recipe {args.recipe}: not a training recipe (recipes: {', '.join(known)})",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    from zoo.data.errors import DataError
    from zoo.training.cli import parse_config

    try:
        cfg = parse_config(config_cls, recipe_argv, f"{PROG} --recipe {args.recipe} --")[0]
        images, source = first_batch(cfg, args.count)
        rows = [(f"the first {len(images)} training images of seed {cfg.seed} as the pipeline delivers them "
                 f"({images.shape[1]} px, {source.name}, {len(source):,} images)", images)]
        if getattr(cfg, "augment", "none") != "none":
            how = (f"DiffAugment ({cfg.diffaugment_policy})" if cfg.augment == "diffaugment"
                   else f"ADA at p = {args.ada_p:g}")
            rows.append((f"the same images as the discriminator sees them: {how}", augmented(cfg, images, args.ada_p)))
    except (DataError, ValueError, OSError) as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    shown = [os.path.relpath(a) if os.path.isdir(a) else a for a in recipe_argv]  # no machine's absolute paths
    draw(rows, f"python -m recipes.{args.recipe} {' '.join(shown)}".strip(), args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
