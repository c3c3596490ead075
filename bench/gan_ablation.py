"""A GAN ablation at equal compute (issue 28): each arm's checkpoint chosen on validation faces, reported on test faces
in two feature spaces, the trained and the EMA generator of every run side by side.

    python -m bench.gan_ablation --real utkface:../shared/data/utkface --name dcgan64_subset2k --step-multiple 500 \\
        --arm none=runs/ablation/subset_none/00000-celeba_dcgan \\
        --arm diffaugment=runs/ablation/subset_diffaugment/00000-celeba_dcgan \\
        --arm ada=runs/ablation/subset_ada/00000-celeba_dcgan [--n 1000] [--resolution 64]

Every arm is a run folder made with ``--ema-kimg`` and ``--keep-checkpoints 0``; keeping an EMA does not change
training (tests/recipes/test_gan_ema.py), so a run's generator as trained (``RUN@trained``) is the arm without EMA
and its EMA generator the arm with it. Equal compute means equal generator steps: the arms' runs must have the same
last step, which is checked. Arms whose steps take different numbers of real batches (a WGAN critic's n_critic)
compare at equal real images instead (``--equal images``: the same epochs), as paper 002's table does:

    python -m bench.gan_ablation --real utkface:../shared/data/utkface --name gan002 --equal images \\
        --arm plain=runs/p002/plain/00000-celeba_gan --arm l2=runs/p002/l2/00000-celeba_gan \\
        --arm wgan=runs/p002/wgan/00000-celeba_gan --arm wgan_gp=runs/p002/wgan_gp/00000-celeba_gan

1. **Choose** (validation part of the presets' split): FD in the first space (``--spaces``, default
   ``classifier_gender_utkface_48``) of every checkpoint, trained and EMA, at ``--choose-n`` faces; each (arm,
   weights) keeps its lowest.
2. **Report** (test part): FD, KID, precision and recall (k = 3) of the chosen checkpoints in every space, with the
   real-vs-real floor of the same protocol (a second draw of real faces, as ``zoo.preset_distance`` does).

Another comparison at equal compute, such as fine-tuning from a preset against training from scratch on a small
folder, chooses on one folder and reports on another (all of each), with a third real set as the floor:

    python -m bench.gan_ablation --name dcgan64_finetune_old --validation-real runs/finetune/data/old_validation \
        --test-real runs/finetune/data/old_test --floor-real runs/finetune/data/old_validation --step-multiple 250 \
        --arm scratch=runs/finetune/scratch/00000-celeba_dcgan --arm preset=runs/finetune/finetune/00000-celeba_dcgan

Writes ``docs/data/gan_ablation_<name>.json`` (``python -m docs.generate`` renders its table into the docs),
``docs/images/gan_ablation_<name>.png`` (the validation curves) and ``docs/images/gan_ablation_<name>_samples.png``
(the chosen generators on the same z, a row each), and prints the table.
"""

from __future__ import annotations

import glob
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROG = "python -m bench.gan_ablation"
WEIGHTS = ("trained", "ema")


def checkpoints(run_dir: str, every: int = 1, multiple: int = 0) -> list[str]:
    """The run's checkpoint folders in step order: with ``multiple``, those at a multiple of that step only (a run
    also checkpoints at each epoch's end); of them every ``every``-th one; always the last."""
    found = sorted(glob.glob(os.path.join(run_dir, "checkpoints", "ckpt-*")), key=lambda p: int(p.rsplit("-", 1)[1]))
    if not found:
        raise ValueError(f"{run_dir} has no checkpoints")
    last = found[-1]
    found = [p for p in found if not multiple or int(p.rsplit("-", 1)[1]) % multiple == 0] or [last]
    kept = found[every - 1::every]
    return kept if kept and kept[-1] == last else kept + [last]


def spec(checkpoint: str, weights: str) -> str:
    return checkpoint + ("@trained" if weights == "trained" else "")


def measure(real: str, fakes: list[str], extractor: str, split: str, metrics: str, n: int, resolution: int,
            floor: str | None) -> dict:
    """One ``zoo.evaluate`` report of ``fakes`` (then the ``floor`` set, real faces: the floor)."""
    from zoo.evaluate import build_parser, evaluate

    argv = ["--real", real, "--fake", *fakes, *([floor] if floor else []), "--extractor", extractor, "--metrics",
            metrics, "--n", str(n), "--repeats", "1", "--seed", "1", "--split", split, "--resolution", str(resolution)]
    args = build_parser().parse_args(argv)
    args.argv = argv
    report = evaluate(args)
    report["argv"] = argv
    return report


def _value(result: dict, prefix: str) -> float:
    return next(v["mean"] for k, v in result["summary"].items() if k.startswith(prefix))


def choose(real: str, arms: dict, space: str, n: int, resolution: int, every: int, split: str = "validation",
           multiple: int = 0) -> dict:
    """{arm: {weights: {"curve": [(images, step, FD)], "chosen": checkpoint folder, "validation_fd": FD}}}."""
    entries = [(arm, w, c) for arm, run in arms.items() for c in checkpoints(run, every, multiple) for w in WEIGHTS]
    report = measure(real, [spec(c, w) for _, w, c in entries], space, split, "fid", n, resolution, None)
    out = {arm: {w: {"curve": []} for w in WEIGHTS} for arm in arms}
    for (arm, w, c), result in zip(entries, report["results"]):
        info = result["info"]
        out[arm][w]["curve"].append({"step": int(info["step"]), "images": int(info["images_seen"]),
                                     "seconds": info.get("train_seconds"), "fd": _value(result, "FD"),
                                     "checkpoint": os.path.relpath(c, ROOT)})
    for arm in arms:
        for w in WEIGHTS:
            best = min(out[arm][w]["curve"], key=lambda p: p["fd"])
            out[arm][w].update(chosen=best["checkpoint"], validation_fd=best["fd"], step=best["step"])
    return {"extractor": space, "n": n, "split": split, "real": real, "command": " ".join(report["argv"]), "arms": out}


def report_test(real: str, chosen: dict, spaces: list[str], n: int, resolution: int, split: str = "test",
                floor: str | None = None) -> dict:
    """{space: {"rows": {arm/weights: {FD, KID, precision, recall}}, "floor": {...}, "command": ...}}."""
    keys = [(arm, w) for arm, ws in chosen.items() for w in WEIGHTS]
    fakes = [spec(os.path.join(ROOT, chosen[arm][w]["chosen"]), w) for arm, w in keys]
    out = {}
    for space in spaces:
        report = measure(real, fakes, space, split, "fid,kid,precision,recall", n, resolution, floor or real)
        results = report["results"]

        def row(result):
            return {m: _value(result, p) for m, p in (("fd", "FD"), ("kid", "KID"), ("precision", "precision"),
                                                        ("recall", "recall"))}
        out[space] = {"rows": {f"{arm}/{w}": row(r) for (arm, w), r in zip(keys, results)},
                      "floor": row(results[len(keys)]), "n": n, "split": split, "real": real,
                      "floor_set": floor or real, "command": " ".join(report["argv"])}
    return out


LOSS_KEYS = ("loss", "l2_weight", "clip_value", "gp_weight", "n_critic", "g_filters", "d_filters",
             "d_batch_norm_epsilon")


def run_facts(run_dir: str) -> dict:
    """What an arm trained with, from its config and last metrics row (ADA's p and r_t where it has them; the loss
    and its settings for paper 002's GAN), and the steps, training seconds and real images of its last checkpoint."""
    from zoo.runs import last_metrics, run_model
    from zoo.utils.io import read_json

    cfg = read_json(os.path.join(run_dir, "config.json"))
    last = last_metrics(run_dir)
    facts = {k: cfg.get(k) for k in ("augment", "diffaugment_policy", "ada_target", "ada_kimg", "ema_kimg",
                                     "train_images", "train_on", "batch_size", "base_filters", "seed", "init_from",
                                     "data_dir")}
    facts.update({k: cfg[k] for k in LOSS_KEYS if k in cfg})
    info = run_model(run_dir, ema=False).run_info  # the last checkpoint: an interrupted run's may follow its last row
    facts.update({"steps": int(info["step"]), "train_seconds": info["train_seconds"],
                  "images": int(info["images_seen"])})
    for k in ("augment_p", "r_t"):
        if k in last:
            facts[k] = last[k]
    return facts


def plot(result: dict, path: str) -> None:
    from zoo.utils.plotting import new_figure, save_figure

    plt, fig = new_figure(figsize=(7, 4.2))
    ax = fig.add_subplot(1, 1, 1)
    for i, (arm, ws) in enumerate(result["choose"]["arms"].items()):
        for w, style in zip(WEIGHTS, ("--", "-")):
            c = ws[w]["curve"]
            ax.plot([p["images"] / 1000 for p in c], [p["fd"] for p in c], style, color=f"C{i}", marker=".",
                    label=f"{arm}, {'EMA' if w == 'ema' else 'trained'}")
            best = next(p for p in c if p["step"] == ws[w]["step"])
            ax.plot([best["images"] / 1000], [best["fd"]], "o", color=f"C{i}", mfc="none", ms=9)
    ax.set_xlabel("images seen (thousands)")
    ax.set_ylabel(f"FD[{result['choose']['extractor']}], validation, n {result['choose']['n']}")
    ax.set_title(f"{result['name']}: validation curves (circles: the chosen checkpoints)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    save_figure(plt, fig, path)


def plot_samples(result: dict, path: str, count: int = 8, seed: int = 0) -> None:
    """The chosen generator of every (arm, weights) on the same ``count`` z, one labelled row each."""
    import numpy as np

    from zoo.metrics.image_sets import resolve
    from zoo.utils.images import make_grid
    from zoo.utils.plotting import new_figure, save_figure

    rows = [(f"{arm}, {'EMA' if w == 'ema' else 'trained'}", spec(os.path.join(ROOT, ws[w]["chosen"]), w))
            for arm, ws in result["choose"]["arms"].items() for w in WEIGHTS]
    plt, fig = new_figure(figsize=(1.1 * count, 1.2 * len(rows)))
    for i, (label, fake) in enumerate(rows):
        images = next(iter(resolve(fake).batches(count, batch_size=count, seed=seed))).numpy()
        ax = fig.add_subplot(len(rows), 1, i + 1)
        ax.imshow(np.squeeze(make_grid(images, cols=count)), cmap="gray")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8)
    fig.subplots_adjust(left=0.18)  # room for the row labels
    fig.suptitle(f"{result['name']}: the chosen checkpoints, the same z in every row", fontsize=9)
    save_figure(plt, fig, path)


def main(argv=None) -> int:
    from zoo.utils.arguments import documented_parser

    p = documented_parser(PROG, __doc__)
    p.add_argument("--real", help="the runs' dataset, utkface:DIR: its validation part chooses, its test part reports")
    p.add_argument("--validation-real", metavar="SET", help="instead of --real's validation part: a folder (or any "
                   "zoo.evaluate --real) that chooses the checkpoints, all of it")
    p.add_argument("--test-real", metavar="SET", help="instead of --real's test part: a folder that every figure is "
                   "measured on, all of it (with --validation-real)")
    p.add_argument("--floor-real", metavar="SET", help="the real set measured against the test set as the floor "
                   "(default: a second draw of the test set; with a small folder, give another real set)")
    p.add_argument("--arm", action="append", required=True, metavar="NAME=RUN", help="an arm's run folder")
    p.add_argument("--name", required=True, help="the ablation's name (file names)")
    p.add_argument("--spaces", default="classifier_gender_utkface_48,face_embedding",
                   help="extractors, comma-separated; the first chooses the checkpoints")
    p.add_argument("--n", type=int, default=1000, help="faces per set on the test part")
    p.add_argument("--choose-n", type=int, default=1000, help="faces per set on the validation part")
    p.add_argument("--every", type=int, default=1, help="measure every K-th checkpoint on validation")
    p.add_argument("--step-multiple", type=int, default=0, metavar="N",
                   help="measure only the checkpoints at multiples of N steps (a run's --checkpoint-every; it also "
                        "checkpoints at each epoch's end) and the last")
    p.add_argument("--equal", choices=("steps", "images"), default="steps",
                   help="what equal compute means: equal generator steps, or equal real images (the same epochs, "
                        "for arms whose steps take different numbers of real batches, such as a WGAN's critic)")
    p.add_argument("--resolution", type=int, default=64)
    p.add_argument("--out", default=os.path.join(ROOT, "docs"), help="docs folder (data/ and images/ inside)")
    args = p.parse_args(argv)
    arms = {}
    for item in args.arm:
        name, sep, run = item.partition("=")
        if not sep or not os.path.isfile(os.path.join(run, "config.json")):
            print(f"{PROG}: error: --arm {item!r}: expected NAME=RUN_FOLDER", file=sys.stderr)
            return 2
        arms[name] = run
    if bool(args.validation_real) != bool(args.test_real) or bool(args.real) == bool(args.validation_real):
        print(f"{PROG}: error: give --real, or both --validation-real and --test-real", file=sys.stderr)
        return 2
    from zoo.utils.datasets import DATASETS

    for flag in ("real", "validation_real", "test_real", "floor_real"):
        spec = getattr(args, flag)
        if spec and spec.partition(":")[0] not in DATASETS and not os.path.isdir(spec):
            print(f"{PROG}: error: --{flag.replace('_', '-')} {spec}: neither a folder of images nor a dataset "
                  f"({', '.join(sorted(DATASETS))}, optionally NAME:DATA_DIR)", file=sys.stderr)
            return 2
    parts = ((args.real, "validation"), (args.real, "test")) if args.real else (
        (args.validation_real, "all"), (args.test_real, "all"))
    facts = {arm: run_facts(run) for arm, run in arms.items()}
    if len({f[args.equal] for f in facts.values()}) != 1:
        print(f"{PROG}: error: the arms stopped at different {args.equal} "
              f"({ {a: f[args.equal] for a, f in facts.items()} }); equal compute needs equal {args.equal}",
              file=sys.stderr)
        return 2
    from zoo.utils.io import write_json

    spaces = args.spaces.split(",")
    chosen = choose(parts[0][0], arms, spaces[0], args.choose_n, args.resolution, args.every, parts[0][1],
                    args.step_multiple)
    result = {"name": args.name, "command": f"{PROG} " + " ".join(argv if argv is not None else sys.argv[1:]),
              "equal": args.equal, "arms": facts, "choose": chosen,
              "test": report_test(parts[1][0], chosen["arms"], spaces, args.n, args.resolution, parts[1][1],
                                  args.floor_real)}
    os.makedirs(os.path.join(args.out, "data"), exist_ok=True)
    os.makedirs(os.path.join(args.out, "images"), exist_ok=True)
    write_json(os.path.join(args.out, "data", f"gan_ablation_{args.name}.json"), result)
    plot(result, os.path.join(args.out, "images", f"gan_ablation_{args.name}.png"))
    plot_samples(result, os.path.join(args.out, "images", f"gan_ablation_{args.name}_samples.png"))
    from docs.ablation import render

    print(render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
