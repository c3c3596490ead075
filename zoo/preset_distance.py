"""Measure generative presets against real faces and record the result in each preset's metadata.

    python -m zoo.preset_distance zoo/presets/dcgan_utkface_64 zoo/presets/wgan_gp_utkface_64 \\
        --real utkface:../shared/data/utkface [--extractor classifier_gender_utkface_48] [--n 2000] [--repeats 3]

    python -m zoo.preset_distance zoo/presets/* --real utkface:../shared/data/utkface --split test \
        --extractor face_embedding --metrics fid,kid,precision,recall --n 1000 --repeats 1 --resolution 32

One ``zoo.evaluate`` run measures every preset and, as the floor of the same protocol, a second sample of the real
set against the first (real against real). With ``--split all`` (the default) each preset's ``metadata.json`` gets
``face_feature_distance``: the command, the FD and KID (mean and std over the repeats), the floor, n and repeats;
``python -m zoo.gallery`` labels its grids with it. With ``--split validation`` or ``test`` the real faces are that
part of the presets' split (the floor is drawn from all faces) and the record goes to ``<split>_distances``, one
entry per extractor, with every metric of ``--metrics`` and its floor, the resolution, and the ``weights_sha256`` it
was measured on (``python -m docs.generate`` refuses a record whose weights have changed since).
metadata.json is not pinned (``zoo/preset_sha256.py``), so the weights' pins stay valid.
"""

from __future__ import annotations

import json
import os
import sys

PROG = "python -m zoo.preset_distance"


def distance_records(report: dict, presets: list[str], command: str) -> dict:
    """{preset folder: face_feature_distance record} from a zoo.evaluate report whose results are the presets in
    order, then the real set (the floor)."""
    fd_name = next(v for k, v in report["metrics"].items() if k == "fid")
    kid_name = report["metrics"].get("kid")
    floor = report["results"][len(presets)]["summary"][fd_name]["mean"]
    records = {}
    for folder, result in zip(presets, report["results"]):
        s = result["summary"]
        rec = {"command": command, fd_name: {"mean": round(s[fd_name]["mean"], 3), "std": round(s[fd_name]["std"], 4)}}
        if kid_name:
            rec[kid_name] = {"mean": round(s[kid_name]["mean"], 5), "std": round(s[kid_name]["std"], 6)}
        rec.update({"real_vs_real_floor_FD": round(floor, 3), "n": report["protocol"]["n"],
                    "repeats": report["protocol"]["repeats"]})
        records[folder] = rec
    return records


def split_records(report: dict, presets: list[str], command: str, weights: dict, split: str) -> dict:
    """{preset folder: {metric name: {mean, std}, "floor": {...}, protocol fields}} from a zoo.evaluate report whose
    results are the presets in order, then the real set (the floor); ``weights``: {folder: weights_sha256}."""
    names = list(report["metrics"].values())
    floor = report["results"][len(presets)]["summary"]
    protocol = report["protocol"]
    records = {}
    for folder, result in zip(presets, report["results"]):
        s = result["summary"]
        rec = {name: {"mean": round(s[name]["mean"], 5), "std": round(s[name]["std"], 6)} for name in names}
        rec["floor"] = {name: round(floor[name]["mean"], 5) for name in names}
        rec.update({"n": protocol["n"], "repeats": protocol["repeats"], "resolution": protocol.get("resolution"),
                    "split": split, "weights_sha256": weights[folder], "command": command})
        records[folder] = rec
    return records


def main(argv=None) -> int:
    from zoo.utils.arguments import documented_parser

    p = documented_parser(PROG, __doc__)
    p.add_argument("presets", nargs="+", help="preset folders (their metadata.json is updated)")
    p.add_argument("--real", required=True, help="real faces: a dataset spec (utkface:DIR) or a folder")
    p.add_argument("--extractor", default="classifier_gender_utkface_48")
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--split", choices=("all", "validation", "test"), default="all",
                   help="real faces: all (face_feature_distance, the presets table's protocol) or a part of the "
                        "presets' split (recorded in <split>_distances, per extractor)")
    p.add_argument("--metrics", default="fid,kid", help="zoo.evaluate metrics (--split validation/test only)")
    p.add_argument("--resolution", type=int, help="compare every set at this side (zoo.evaluate --resolution)")
    p.add_argument("--no-cache", action="store_true", help="recompute the real set's statistics")
    args = p.parse_args(argv)
    for folder in args.presets:
        if not os.path.isfile(os.path.join(folder, "metadata.json")):
            print(f"{PROG}: error: {folder} is not a preset folder (no metadata.json)", file=sys.stderr)
            return 2

    from zoo.evaluate import build_parser, evaluate, format_markdown
    from zoo.data.errors import DataError
    from zoo.metrics.features import ExtractorError
    from zoo.metrics.image_sets import ImageSetError
    from zoo.registry import PresetError
    from zoo.utils.io import write_json

    if args.split == "all" and args.metrics != "fid,kid":
        print(f"{PROG}: error: --metrics is for --split validation or test; the all-faces record is FD and KID",
              file=sys.stderr)
        return 2
    eval_argv = ["--real", args.real, "--fake", *args.presets, args.real, "--extractor", args.extractor,
                 "--metrics", args.metrics, "--n", str(args.n), "--repeats", str(args.repeats), "--seed",
                 str(args.seed)]
    if args.split != "all":
        eval_argv += ["--split", args.split]
    if args.resolution:
        eval_argv += ["--resolution", str(args.resolution)]
    command = "python -m zoo.evaluate " + " ".join(eval_argv)
    try:
        eval_args = build_parser().parse_args(eval_argv + (["--no-cache"] if args.no_cache else []))
        eval_args.argv = eval_argv
        report = evaluate(eval_args)
    except (ValueError, ExtractorError, ImageSetError, DataError, PresetError) as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    print(format_markdown(report))
    metas = {}
    for folder in args.presets:
        with open(os.path.join(folder, "metadata.json")) as f:
            metas[folder] = json.load(f)
    if args.split == "all":
        records = distance_records(report, args.presets, command)
    else:
        records = split_records(report, args.presets, command,
                                {folder: metas[folder].get("weights_sha256") for folder in args.presets}, args.split)
    for folder, record in records.items():
        meta = metas[folder]
        if args.split == "all":
            meta["face_feature_distance"] = record
        else:
            meta.setdefault(f"{args.split}_distances", {})[report["extractor"]] = record
        write_json(os.path.join(folder, "metadata.json"), meta)
        print(f"{folder}: {json.dumps({k: v for k, v in record.items() if k != 'command'})}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
