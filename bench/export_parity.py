"""python -m bench.export_parity [PRESET ...] [--out FILE] [--presets-dir DIR] [--images DIR]

Exports every inference part of each preset to ONNX and to SavedModel with the project's exporter
(``export/exporter.py``, the code behind ``python -m export``) in a temporary folder, and records how far each
file's outputs are from Keras' into ``docs/data/export_parity.json``, which ``python -m docs.generate`` renders
into docs/export.md. Image-input parts (encoders, classifiers) are checked on random images and on real faces
from ``--images`` (default ``../shared/data/utkface`` when present, else synthetic faces), as ``python -m export``
does.

Without PRESET, every preset folder of ``--presets`` is measured except the conv VAE pair (being retrained);
name them to measure them. Each preset's entry records the ``weights_sha256`` of its metadata.json at
measurement time, so docs.generate can refuse a table measured on other weights, and is merged into the file
as soon as it is done: one preset can be re-measured alone, and an interrupted run keeps what it finished.
Exits 1 when a part fails its parity check or cannot be exported (its entry says why), 2 on a bad argument.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import logging
import os
import sys
import tempfile
import time
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PRESETS_DIR = os.path.join(ROOT, "zoo", "presets")
OUT = os.path.join(ROOT, "docs", "data", "export_parity.json")
PROG = "python -m bench.export_parity"
# Measured only when named: another session is retraining them, so their weights are about to change.
SKIPPED_BY_DEFAULT = ("conv_vae_utkface_48", "conv_vae_utkface_48_encoder")
FORMATS = ("onnx", "savedmodel")
ABOUT = ("Maximum absolute difference between each exported file's outputs and Keras', per preset part, written "
         f"by `{PROG}` and rendered into docs/export.md by `python -m docs.generate`, which refuses an entry "
         "whose weights_sha256 is not the preset's current one.")


def preset_names(presets_dir: str) -> list[str]:
    """Folders of ``presets_dir`` that hold a metadata.json, sorted."""
    return sorted(n for n in os.listdir(presets_dir) if os.path.isfile(os.path.join(presets_dir, n, "metadata.json")))


def chosen_presets(named: list[str], presets_dir: str) -> list[str]:
    """The presets to measure: ``named`` (each must exist), or every one but ``SKIPPED_BY_DEFAULT``."""
    available = preset_names(presets_dir)
    unknown = [n for n in named if n not in available]
    if unknown:
        raise ValueError(f"{', '.join(unknown)}: not a preset in {presets_dir} (expected one of "
                         f"{', '.join(available)})")
    return list(dict.fromkeys(named)) if named else [n for n in available if n not in SKIPPED_BY_DEFAULT]


def read_results(path: str) -> dict:
    """The parity file's content, or an empty one when it does not exist yet."""
    from zoo.utils.io import read_json

    if not os.path.isfile(path):
        return {"about": ABOUT, "presets": {}}
    data = read_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("presets"), dict):
        raise ValueError(f"{path}: expected an object with a 'presets' object (a file written by {PROG})")
    return data


def merge(path: str, name: str, entry: dict) -> None:
    """Write ``entry`` as preset ``name``'s into the parity file at ``path``, keeping every other preset's."""
    from zoo.utils.io import write_json

    data = read_results(path)
    data["about"] = ABOUT
    data["presets"][name] = entry
    data["presets"] = dict(sorted(data["presets"].items()))
    write_json(path, data)


def part_result(cards: dict) -> dict:
    """One part's record from its model cards {format: card}."""
    first = next(iter(cards.values()))
    return {"part": first["part"], "kind": first["kind"], "class_name": first["class_name"],
            "outputs": [o["name"] for o in first["outputs"]],
            # the real faces' folder relative to the repository, not this machine's absolute path
            "checked_on": [c["inputs"].replace(os.path.dirname(ROOT) + os.sep, "../")
                           for c in first["parity"]["checks"]],
            "limit": f"{first['parity']['limit']:g} x max(1, |output|)",
            **{fmt: {"max_abs_diff": card["parity"]["max_abs_diff"], "ok": card["parity"]["ok"]}
               for fmt, card in cards.items()}}


def _print(line: str) -> None:
    print(line, flush=True)


def measure(name: str, presets_dir: str, images_dir: str | None, work_dir: str, log=_print) -> dict:
    """Export preset ``name``'s parts in both formats under ``work_dir``; its parity-file entry."""
    import keras

    from export.exporter import export_part, inference_parts, load_preset
    from zoo.utils.io import read_json

    path = os.path.join(presets_dir, name)
    sha = read_json(os.path.join(path, "metadata.json")).get("weights_sha256")
    command = f"{PROG} {name}"
    entry = {"weights_sha256": sha, "command": command,
             "measured": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
    try:
        model, source, meta = load_preset(path)
        source["preset"] = name
        parts, versions = [], {}
        for part in inference_parts(model):
            cards = {}
            for fmt in FORMATS:
                log(f"  {part.name} ({type(part.model).__name__}) -> {fmt}")
                cards[fmt] = export_part(part, os.path.join(work_dir, name, fmt), fmt, source=source,
                                         metadata=meta, images_dir=images_dir, log=lambda s: log("    " + s))
                versions = cards[fmt]["exported_with"]
            parts.append(part_result(cards))
        entry.update(class_name=type(model).__name__, parts=parts, versions=versions)
    except Exception as e:  # noqa: BLE001 - whatever stops an export is recorded, never replaced by a number
        entry["error"] = f"{type(e).__name__}: {' '.join(str(e).split())[:500]}"
        log(f"  failed: {entry['error']}")
    finally:
        keras.backend.clear_session()  # the next preset starts from an empty graph (memory)
    return entry


def failed(entry: dict) -> bool:
    return "error" in entry or any(not p[fmt]["ok"] for p in entry.get("parts", []) for fmt in FORMATS)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("presets", nargs="*", metavar="PRESET",
                   help=f"presets to measure (default: all but {', '.join(SKIPPED_BY_DEFAULT)})")
    p.add_argument("--out", default=OUT, help="parity file to merge into (default docs/data/export_parity.json)")
    p.add_argument("--presets-dir", default=PRESETS_DIR, help="folder of the preset folders")
    p.add_argument("--images", default=None, help="real faces for image inputs (default ../shared/data/utkface)")
    args = p.parse_args(argv)
    try:  # before TensorFlow: a typo costs no start-up
        names = chosen_presets(args.presets, args.presets_dir)
        read_results(args.out)
        missing = [m for m in ("tf2onnx", "onnx", "onnxruntime") if importlib.util.find_spec(m) is None]
        if missing:
            raise ValueError(f"ONNX export needs {', '.join(missing)}: pip install \"facezoo[onnx]\"")
        if args.images and not os.path.isdir(args.images):
            raise ValueError(f"--images {args.images}: no such folder")
    except (ValueError, OSError) as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    from zoo.utils.logs import quiet_tensorflow

    quiet_tensorflow(False)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    bad, start = [], time.time()
    with tempfile.TemporaryDirectory(prefix="export-parity-") as work:
        for i, name in enumerate(names, 1):
            print(f"[{i}/{len(names)}] {name} ({time.time() - start:.0f} s so far)", flush=True)
            entry = measure(name, args.presets_dir, args.images, work)
            merge(args.out, name, entry)
            bad += [name] if failed(entry) else []
    print(f"wrote {len(names)} preset(s) into {args.out} in {time.time() - start:.0f} s"
          + (f"; failed: {', '.join(bad)}" if bad else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
