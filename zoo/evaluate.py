"""Evaluate generated faces against real ones: FID, KID, Inception Score, sharpness (and adjusted FID).

    python -m zoo.evaluate --real utkface:../shared/data/utkface --fake dcgan_utkface_64 --metrics fid,kid \\
        --inception-weights ~/inception_v3_weights_tf_dim_ordering_tf_kernels.h5
    python -m zoo.evaluate --real utkface:../shared/data/utkface --fake runs/00003-celeba_dcgan PRESET2 \\
        --extractor classifier_gender_utkface_48 --metrics fid,kid,sharpness --n 2000 --repeats 3 --out report.json

``--real`` is a folder of images or a dataset (``utkface:DIR``, ``celeba:DIR``, ``ffhq:DIR``, ``synthetic``);
each ``--fake`` is a folder of images, a run folder (its latest checkpoint; ``RUN@trained`` for the generator as
trained where the run keeps an EMA, whose EMA generator is the run's model), a generator ``.keras`` file or a
preset. Several ``--fake`` entries are reported side by side as mean +- std over ``--repeats``. With an
``--extractor`` other than ``inception`` the distances are Frechet / kernel distances in that model's features,
labelled ``FD[name]`` / ``KID[name]``, never "FID". Reference statistics are cached (``--cache-dir``) with their
protocol and recomputed when it changes.

``--metrics identity`` asks whether an autoencoder gives back the same person: each ``--real`` face is encoded by
``--encoder`` and decoded by the ``--fake`` decoder, and dlib's identity distance between the face and its
reconstruction is reported (median, mean, share under dlib's same-person 0.6; ``zoo.metrics.identity``). It is the
one identity question that fits this command's design (real faces in, a model's images out, one row per model):
a generator's samples have no person to compare with, and two folders of paired images are compared by
``python -m zoo.metrics.identity A_DIR B_DIR``. It runs alone, not beside the distribution metrics.

    python -m zoo.evaluate --real utkface:../shared/data/utkface --split test --fake vae_utkface_64 \
        --encoder vae_encoder_utkface_64 --metrics identity --n 100
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time

from zoo.utils.arguments import UsageError, documented_parser, check_model, check_output_folder, integer, run_command

METRICS = ("fid", "kid", "is", "sharpness", "adjusted_fid", "precision", "recall", "identity")
PROG = "python -m zoo.evaluate"


def build_parser() -> argparse.ArgumentParser:
    p = documented_parser(PROG, __doc__)
    p.add_argument("--real", metavar="DIR|DATASET",
                   help="real images: a folder, or a dataset name utkface|celeba|ffhq|synthetic, optionally "
                        "NAME:DATA_DIR (needed for fid, kid, adjusted_fid)")
    p.add_argument("--fake", metavar="DIR|RUN|PRESET", nargs="+", action="extend", required=True,
                   help="generated images: a folder of images, a run folder (sampled from its latest checkpoint), a "
                        "generator .keras file or a preset name (RUN@trained: a run's generator as trained, not its EMA); "
                        "repeat for a side-by-side comparison")
    p.add_argument("--metrics", default="fid,kid",
                   help=f"comma-separated, from {','.join(METRICS)} (default fid,kid)")
    p.add_argument("--extractor", default="inception", metavar="inception|face_embedding|PRESET[:HEAD]|PATH",
                   help="feature extractor: 'inception' (InceptionV3 pool3 at 299x299, needs --inception-weights), "
                        "'face_embedding' (dlib's 128-d face-recognition descriptor, a space no zoo label shaped) "
                        "or a Keras model (preset name/folder or .keras file) whose penultimate layer is used; "
                        ":HEAD names the class head whose probabilities the Inception Score uses")
    p.add_argument("--extractor-layer", metavar="NAME",
                   help="take the features from this layer's output instead of the penultimate one")
    p.add_argument("--encoder", metavar="PRESET|RUN:encoder",
                   help="with --metrics identity: the VAE encoder whose --fake decoder reconstructs the --real faces")
    p.add_argument("--inception-weights", metavar="PATH",
                   help="local InceptionV3 ImageNet weights (.h5; also $FACEZOO_INCEPTION_WEIGHTS or "
                        "~/.keras/models/); never downloaded, never replaced by random weights")
    p.add_argument("--n", type=integer(1, 10_000_000), default=10_000, help="images per set (default 10000; real sets use at most "
                                                           "what they have)")
    p.add_argument("--repeats", type=integer(1, 1000), default=1,
                   help="evaluate each fake set K times (new latents / subsets) and report mean +- std")
    p.add_argument("--batch-size", type=integer(1, 4096), default=50)
    p.add_argument("--resolution", type=integer(4, 1024),
                   help="compare at R x R pixels (default: the first fake set's resolution); every set is resized "
                        "to it before the extractor's own resize")
    p.add_argument("--split", default=None, choices=("all", "train", "validation", "test"),
                   help="part of a real dataset: CelebA's own split (default train); UTKFace and FFHQ: all (the "
                        "default) or a part of the seeded 70/20/10 split the presets train on (validation to "
                        "choose, test to report)")
    p.add_argument("--seed", type=integer(0, 2**32 - 1), default=0, help="seed of latents and subsets (repeat k uses seed + k)")
    p.add_argument("--kid-subsets", type=integer(1, 100_000), default=100)
    p.add_argument("--kid-subset-size", type=integer(2, 10_000_000), default=1000,
                   help="vectors per KID subset (default 1000; at most the smaller set's size)")
    p.add_argument("--is-splits", type=integer(1, 1000), default=10)
    p.add_argument("--adjust-sizes", nargs=2, metavar=("RAW_DIR", "REMOVED_DIR"),
                   help="for adjusted_fid: folders of raw and background-removed images whose mean encoded file "
                        "sizes give the reduction r (adjusted FID = FID * (1 - r))")
    p.add_argument("--cache-dir", default=os.environ.get("FACEZOO_CACHE",
                                                         os.path.join("~", ".cache", "facezoo", "statistics")),
                   help="where reference statistics are cached (default $FACEZOO_CACHE or "
                        "~/.cache/facezoo/statistics)")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the statistics cache")
    p.add_argument("--out", metavar="report.json", help="write the report as JSON and markdown (same name, .md)")
    p.add_argument("--jit", action="store_true", help="compile the extractor with XLA")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--verbose", action="store_true", help="keep TensorFlow's start-up log lines")
    return p


def _metrics(text: str) -> list[str]:
    metrics = [m.strip().lower() for m in text.split(",") if m.strip()]
    bad = [m for m in metrics if m not in METRICS]
    if bad or not metrics:
        raise UsageError(f"--metrics {text!r}: unknown {bad}; expected a comma-separated list from {METRICS}")
    if "identity" in metrics and len(metrics) > 1:
        raise UsageError(f"--metrics {text!r}: identity compares each real face with its reconstruction, not two "
                         "distributions; run it alone (--metrics identity)")
    return metrics


def metric_names(extractor, metrics) -> dict:
    """Display (and JSON) name of each metric: FID/KID/IS for InceptionV3, FD[name]/KID[name]/IS[name] else."""
    tag = extractor.metric_prefix if extractor is not None else ""
    names = {"fid": ("FID" if not tag else "FD" + tag), "kid": "KID" + tag, "is": "IS" + tag,
             "sharpness": "sharpness", "adjusted_fid": ("adjusted FID" if not tag else "adjusted FD" + tag),
             "precision": "precision" + tag, "recall": "recall" + tag}
    return {m: names[m] for m in metrics}


def _summary(values):
    import numpy as np

    v = np.asarray(values, np.float64)
    return {"mean": float(v.mean()), "std": float(v.std()), "values": [float(x) for x in v]}


def evaluate(args) -> dict:
    """Run the evaluation described by parsed ``args``; returns the report (see ``docs/evaluation.md``)."""
    import numpy as np

    from zoo.metrics import image_sets
    from zoo.metrics.features import make_extractor
    from zoo.metrics.fid import cached_statistics, statistics_distance
    from zoo.metrics.inception_score import inception_score
    from zoo.metrics.kid import kernel_distance
    from zoo.metrics.measure import measure_images

    metrics = _metrics(args.metrics)
    if metrics == ["identity"]:
        from zoo.metrics.identity import reconstruction_report

        return {"command": [PROG, *getattr(args, "argv", [])], "time": time.strftime("%Y-%m-%d %H:%M:%S"),
                **reconstruction_report(args.real, args.fake, args.encoder, args.n, args.split, args.batch_size,
                                        args.seed, not args.no_progress)}
    if "adjusted_fid" in metrics and not args.adjust_sizes:
        raise UsageError("adjusted_fid needs --adjust-sizes RAW_DIR REMOVED_DIR (the sets whose encoded sizes give r)")
    against_real = ("fid", "kid", "adjusted_fid", "precision", "recall")
    needs_real = any(m in metrics for m in against_real)
    if needs_real and not args.real:
        raise UsageError(f"--real is required for {[m for m in metrics if m in against_real]}")
    keep = any(m in metrics for m in ("kid", "precision", "recall"))  # the metrics that need every feature vector
    for flag in ("n", "repeats", "batch_size", "kid_subsets", "is_splits"):
        if getattr(args, flag) < 1:
            raise UsageError(f"--{flag.replace('_', '-')} must be positive, got {getattr(args, flag)}")
    distance = "fid" in metrics or "adjusted_fid" in metrics
    extractor = None
    if distance or keep or "is" in metrics:
        extractor = make_extractor(args.extractor, args.inception_weights, args.extractor_layer, jit_compile=args.jit)
    if "is" in metrics and not extractor.has_predictions:
        raise UsageError(f"the Inception Score needs class predictions and extractor {extractor.name} has none (a "
                         f"model with one [B, K] class output, a class head named as PRESET:HEAD, e.g. "
                         f"classifier_gender_utkface_48:gender, or InceptionV3 weights with their top layers)")
    names = metric_names(extractor, metrics)
    reduction = None
    if "adjusted_fid" in metrics:
        from zoo.metrics.adjusted_fid import size_reduction

        reduction = size_reduction(*args.adjust_sizes)

    fakes = [image_sets.resolve(s, seed=args.seed) for s in args.fake]
    _distinct_labels(fakes, args.fake)
    resolution = args.resolution or fakes[0].resolution
    channels = fakes[0].channels if all(f.channels == fakes[0].channels for f in fakes) else 3
    progress = not args.no_progress
    protocol = {**(extractor.protocol if extractor else {}), "resolution": resolution, "channels": channels}
    report = {"command": [PROG, *getattr(args, "argv", [])], "time": time.strftime("%Y-%m-%d %H:%M:%S"),
              "metrics": names, "extractor": extractor.name if extractor else None,
              "protocol": {**protocol, "n": args.n, "repeats": args.repeats, "seed": args.seed,
                           "kid_subsets": args.kid_subsets, "kid_subset_size": args.kid_subset_size,
                           "is_splits": args.is_splits},
              "size_reduction": reduction, "real": None, "results": []}

    real_stats = real_features = None
    if args.real:
        real = image_sets.resolve(args.real, real=True, split=args.split, image_size=resolution, seed=args.seed)
        count = real.size_for(args.n)
        real_protocol = {**protocol, "set": real.info, **image_sets.subset_protocol(count)}
        want_kid = keep
        real_row = {"label": f"real ({real.label})", "info": real.info, "count": count}
        extra = {}

        def compute():
            m = measure_images(real.batches(args.n, args.batch_size, 0, resolution, channels), extractor,
                               keep_features=want_kid, predictions="is" in metrics,
                               sharpness="sharpness" in metrics, total=count, progress=progress,
                               description=f"real {real.label}")
            extra["measures"] = m
            return m.statistics, m.features

        if extractor is not None and needs_real:
            cache = None if args.no_cache else _cache_path(args.cache_dir, real, resolution, channels, count,
                                                           extractor)
            real_stats, real_features, reused = cached_statistics(cache, real_protocol, compute, want_kid)
            real_row.update({"statistics_cache": cache, "cache_reused": reused})
        m = extra.get("measures")
        if ("sharpness" in metrics or "is" in metrics) and m is None:
            m = measure_images(real.batches(args.n, args.batch_size, 0, resolution, channels),
                               extractor if "is" in metrics else None, predictions="is" in metrics,
                               sharpness="sharpness" in metrics, total=count, progress=progress,
                               description=f"real {real.label}")
        row = {}
        if "sharpness" in metrics:
            row[names["sharpness"]] = _summary([m.sharpness.mean()])
        if "is" in metrics:
            mean, std = inception_score(m.probabilities, args.is_splits)
            row[names["is"]] = {"mean": mean, "std": std, "values": [mean], "std_over": "splits"}
        real_row["summary"] = row
        report["real"] = real_row

    for fake in fakes:
        per_repeat = []
        for r in range(args.repeats):
            seed = args.seed + r
            total = fake.size_for(args.n)
            m = measure_images(fake.batches(args.n, args.batch_size, seed, resolution, channels), extractor,
                               keep_features=keep, predictions="is" in metrics,
                               sharpness="sharpness" in metrics, total=total, progress=progress,
                               description=f"{fake.label} #{r + 1}" if args.repeats > 1 else fake.label)
            values = {}
            if distance:
                fd = statistics_distance(real_stats, m.statistics)
                if "fid" in metrics:
                    values["fid"] = fd
                if "adjusted_fid" in metrics:
                    from zoo.metrics.adjusted_fid import adjusted_fid

                    values["adjusted_fid"] = adjusted_fid(fd, reduction)
            if "kid" in metrics:
                values["kid"], values["kid_subset_std"] = kernel_distance(
                    real_features, m.features, args.kid_subsets, args.kid_subset_size, seed=seed)
            if "precision" in metrics or "recall" in metrics:
                from zoo.metrics.precision_recall import precision_recall

                values["precision"], values["recall"] = precision_recall(real_features, m.features)
            if "is" in metrics:
                values["is"], values["is_split_std"] = inception_score(m.probabilities, args.is_splits)
            if "sharpness" in metrics:
                values["sharpness"] = float(m.sharpness.mean())
            per_repeat.append({"seed": seed, "count": m.count, **values})
        summary = {}
        for key in metrics:
            s = _summary([p[key] for p in per_repeat])
            if args.repeats == 1 and key in ("kid", "is"):  # one run: the spread over subsets / splits
                s["std"], s["std_over"] = per_repeat[0][f"{key}_{'subset' if key == 'kid' else 'split'}_std"], (
                    "subsets" if key == "kid" else "splits")
            elif args.repeats > 1:
                s["std_over"] = "repeats"
            summary[names[key]] = s
        report["results"].append({"label": fake.label, "kind": fake.kind, "info": fake.info,
                                  "extractor": extractor.name if extractor else None, "repeats": per_repeat,
                                  "summary": summary})
    return report


def _distinct_labels(sets, specs) -> None:
    """Two sets with one label (two runs named 00000-celeba_dcgan in different folders) get the folders that tell
    them apart: the last path components of their specs."""
    for depth in (2, 3, 4):
        labels = [s.label for s in sets]
        if len(set(labels)) == len(labels):
            return
        for s, spec in zip(sets, specs):
            if labels.count(s.label) > 1:
                parts = os.path.normpath(spec).split(os.sep)
                s.label = "/".join(parts[-depth:])


def _cache_path(cache_dir, real, resolution, channels, count, extractor) -> str:
    import re

    base = "-".join([real.info.get("dataset") or "folder", real.info.get("split", ""),
                     f"{resolution}px{channels}c", f"n{count}", extractor.name])
    base = re.sub(r"[^A-Za-z0-9_.-]+", "_", base)
    return os.path.join(os.path.expanduser(cache_dir), base + ".npz")


def _fmt(x: float) -> str:
    if x == 0:
        return "0"
    return f"{x:.4g}" if abs(x) >= 1e-3 else f"{x:.2e}"


def format_markdown(report: dict) -> str:
    """The report as a markdown table: one row per image set, one column per metric, mean +- std."""
    if report.get("identity"):
        from zoo.metrics.identity import format_reconstructions

        return format_reconstructions(report)
    names = list(report["metrics"].values())
    arrows = {"FID": " ↓", "FD": " ↓", "KID": " ↓", "adj": " ↓", "IS": " ↑", "sha": " ↑"}
    header = ["images"] + [n + next((a for k, a in arrows.items() if n.startswith(k)), "") for n in names]
    rows = []
    if report.get("real"):
        real = report["real"]
        rows.append([real["label"]] + [_cell(real["summary"].get(n)) if n in real["summary"] else "-" for n in names])
    for res in report["results"]:
        rows.append([res["label"]] + [_cell(res["summary"].get(n)) for n in names])
    p = report["protocol"]
    lines = []
    if report.get("extractor"):
        lines.append(f"Features: {p['extractor']} ({p['layer']}), input {p['input_size']}px, {p['resize']}; "
                     f"images compared at {p['resolution']}px, quantised to uint8.")
        if report.get("real"):
            lines.append(f"Real: {report['real']['label']}, {report['real']['count']} images.")
    if report.get("size_reduction") is not None:
        lines.append(f"Adjusted FID uses the measured encoded-size reduction r = {report['size_reduction']:.4f}.")
    repeats = p.get("repeats", 1)
    lines.append(f"Values: mean +- std over {repeats} repeats." if repeats > 1 else
                 "Values: one run; KID +- std over subsets, IS +- std over splits.")
    table = [header, ["---"] * len(header), *rows]
    return "\n".join(lines) + "\n\n" + "\n".join("| " + " | ".join(r) + " |" for r in table) + "\n"


def _cell(s) -> str:
    if not s:
        return "-"
    if len(s.get("values", [])) == 1 and "std_over" not in s:
        return _fmt(s["mean"])
    # float64 rounding of equal values (KID subsets that are the whole set) is no spread: shown as 0, not 3.9e-16
    std = 0.0 if s["std"] <= 1e-9 * max(abs(s["mean"]), 1e-3) else s["std"]
    return f"{_fmt(s['mean'])} ± {_fmt(std)}"


def check_args(args) -> None:
    """What the parser cannot see, checked before TensorFlow is imported: the metrics, the --fake sets exist (a
    folder, a file, a preset, or a dataset: real faces as the floor of the same protocol) and --out can be
    written."""
    from zoo.utils.datasets import DATASETS

    if _metrics(args.metrics) == ["identity"] and not (args.real and args.encoder):
        raise UsageError("--metrics identity needs --real (the faces) and --encoder (the VAE encoder whose --fake "
                         "decoder reconstructs them)")
    if args.encoder:
        check_model(args.encoder, "--encoder")
    for spec in args.fake:
        if spec.partition(":")[0] not in DATASETS or os.path.exists(spec):
            check_model(spec, "--fake")
    if args.out:
        if os.path.isdir(args.out):
            raise UsageError(f"--out {args.out}: is a folder, expected a report file name (report.json)")
        check_output_folder(os.path.dirname(args.out) or ".", "--out")


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.argv = argv
    code = run_command(PROG, lambda: check_args(args))  # before TensorFlow: a typo costs no start-up
    if code:
        return code
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    return run_command(PROG, lambda: _evaluate_and_report(args), verbose=args.verbose)


def _evaluate_and_report(args) -> int:
    from zoo.utils.io import atomic_path, write_json

    report = evaluate(args)
    text = format_markdown(report)
    print(text)
    if args.out:
        write_json(args.out, report)
        md = os.path.splitext(args.out)[0] + ".md"
        with atomic_path(md) as tmp, open(tmp, "w") as f:
            f.write("`" + " ".join(report["command"]) + "`\n\n" + text)
        print(f"wrote {args.out} and {md}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
