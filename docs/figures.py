"""python -m docs.figures [IMAGE ...] [--check]: remake the pages' generated images from the commands that draw them.

docs/images/manifest.json lists, for each image it covers, the command that draws it (``OUT`` stands for a
temporary folder, ``UTKFACE`` for ../shared/data/utkface), the file of OUT the image is copied from, and the
weights_sha256 of every preset the command reads (and the sha256 of the direction set's directions.npz where the
command uses one), as they were when the image was drawn. This command re-runs the commands (of every image, or of
the images named; once per command when several images come from one), copies their files over docs/images/ and
rewrites those entries with the presets' current sha256s; ``--keep DIR`` keeps each command's folder (its
``<command>.json`` holds the numbers a page quotes) as DIR/NN-IMAGE. ``--check`` runs nothing: it lists the images whose
recorded sha256s are not the presets' current ones, or that are missing, and exits 1 (tests/docs/test_figures.py
makes the same check). To cover a new image, add its entry (command and file) and run this command on it.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

PROG = "python -m docs.figures"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMAGES_DIR = os.path.join(ROOT, "docs", "images")
MANIFEST = os.path.join(IMAGES_DIR, "manifest.json")
PRESETS_DIR = os.path.join(ROOT, "zoo", "presets")
UTKFACE = os.path.normpath(os.path.join(ROOT, "..", "shared", "data", "utkface"))
MODEL_FLAGS = ("--model", "--encoder", "--classifier", "--directions")  # flags whose value may name a preset
ABOUT = (f"Images drawn by a command, with the sha256s of the presets it read; `{PROG} IMAGE` redraws one and "
         "rewrites its entry, tests/docs/test_figures.py fails when a recorded sha256 is not the preset's current "
         "one. OUT is a temporary folder, UTKFACE ../shared/data/utkface.")


class FigureError(ValueError):
    """A manifest entry that cannot be used or a command that did not draw its image (one sentence, exit 2)."""


def sha256_file(path: str) -> str:
    from zoo.utils.io import sha256_file as sha

    return sha(path)


def read_manifest(path: str = MANIFEST) -> dict:
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    if not isinstance(data.get("images"), dict):
        raise FigureError(f"{path}: expected an object with an 'images' object")
    return data


def write_manifest(path: str, data: dict) -> None:
    from zoo.utils.io import write_json

    write_json(path, data)


def dependencies(command: str, presets_dir: str = PRESETS_DIR) -> dict[str, dict]:
    """{preset: {"weights_sha256", ["directions_sha256"]}} of every preset ``command`` names (--model, --encoder,
    --classifier, --directions, WHAT@PRESET in --tasks or in each --measure, or as a positional argument: zoo.gallery's), read from the preset folders now. A direction set is
    counted where the command reads one: --directions, or the model's own with --direction alone."""
    args = shlex.split(command)
    values = {flag: args[i + 1] for i, flag in enumerate(args[:-1]) if flag in MODEL_FLAGS + ("--tasks",)}
    names = [values[f] for f in MODEL_FLAGS if f in values]
    names += [a for a in args if not a.startswith("-") and os.path.isdir(os.path.join(presets_dir, a))]  # positional
    names += [spec.partition("@")[2] for spec in values.get("--tasks", "").split(",") if "@" in spec]
    names += [spec.partition("@")[2] for flag, spec in zip(args, args[1:]) if flag == "--measure"]  # repeatable
    with_directions = values.get("--directions") or (values.get("--model") if "--direction" in args else None)
    out = {}
    for name in dict.fromkeys(names):
        meta = os.path.join(presets_dir, name, "metadata.json")
        if not os.path.isfile(meta):
            continue  # a run folder, an .onnx file: not a preset
        with open(meta, encoding="utf-8") as f:
            out[name] = {"weights_sha256": json.load(f).get("weights_sha256")}
        if name == with_directions:
            npz = os.path.join(presets_dir, name, "directions.npz")
            if not os.path.isfile(npz):
                raise FigureError(f"{command!r} uses {name}'s direction set, but {npz} is missing")
            out[name]["directions_sha256"] = sha256_file(npz)
    return dict(sorted(out.items()))


def stale(manifest: dict, images_dir: str = IMAGES_DIR, presets_dir: str = PRESETS_DIR) -> list[str]:
    """One sentence per image that is missing or whose recorded sha256s are not the presets' current ones."""
    problems = []
    for image, entry in manifest["images"].items():
        redo = f"`{PROG} {image}` redraws it"
        if not os.path.isfile(os.path.join(images_dir, image)):
            problems.append(f"{image} is in the manifest but not in {images_dir}; {redo}")
            continue
        try:
            now = dependencies(entry["command"], presets_dir)
        except FigureError as e:
            problems.append(f"{image}: {e}")
            continue
        recorded = entry.get("presets", {})
        for name in sorted(set(now) | set(recorded)):
            changed = [key for key in ("weights_sha256", "directions_sha256")
                       if recorded.get(name, {}).get(key) != now.get(name, {}).get(key)]
            if name not in recorded:
                problems.append(f"{image}: its command reads {name}, which its entry does not record; {redo}")
            elif name not in now:
                problems.append(f"{image}: drawn from {name}, which its command no longer reads or which is gone; "
                                f"{redo}")
            elif changed:
                was, now_ = (str(d[name].get(changed[0]))[:12] for d in (recorded, now))
                problems.append(f"{image} was drawn from other {name} {' and '.join(changed)} ({was} now {now_}); "
                                f"{redo}")
    return problems


def argv_of(command: str, out: str, data_dir: str = UTKFACE) -> list[str]:
    """The command as an argument list for this interpreter, with OUT and UTKFACE replaced."""
    args = shlex.split(command)
    if args[:2] != ["python", "-m"]:
        raise FigureError(f"{command!r}: expected a 'python -m MODULE ...' command")
    if any(re.search(r"(^|,)UTKFACE(/|,|$)", a) for a in args) and not os.path.isdir(data_dir):
        raise FigureError(f"{command!r} reads UTKFACE, but {data_dir} is not a folder")
    args = [re.sub(r"^OUT(?=/|$)", lambda m: out, re.sub(r"(^|,)UTKFACE(?=/|,|$)", lambda m: m[1] + data_dir, a))
            for a in args]
    return [sys.executable, *args[1:]]


@contextlib.contextmanager
def _out_folder(keep: str | None, name: str):
    """A temporary folder, or with ``keep`` the folder ``keep/name`` (emptied first), left in place."""
    if keep is None:
        with tempfile.TemporaryDirectory(prefix="figures-") as out:
            yield out
        return
    out = os.path.join(keep, name)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    yield out


def redraw(names: list[str], manifest_path: str = MANIFEST, images_dir: str = IMAGES_DIR,
           presets_dir: str = PRESETS_DIR, data_dir: str = UTKFACE, run=subprocess.run,
           keep: str | None = None) -> list[str]:
    """Re-run the commands of images ``names`` (all when empty), copy their files into ``images_dir`` and rewrite
    their manifest entries (after each command, so an interruption keeps what was drawn); with ``keep``, each
    command's output folder stays as ``keep/NN-IMAGE``. Returns the images."""
    manifest = read_manifest(manifest_path)
    unknown = [n for n in names if n not in manifest["images"]]
    if unknown:
        raise FigureError(f"{', '.join(unknown)}: not in {manifest_path} (it lists "
                          f"{', '.join(manifest['images'])}); add an entry with its command and file first")
    chosen = names or list(manifest["images"])
    by_command: dict[str, list[str]] = {}
    for image in chosen:
        by_command.setdefault(manifest["images"][image]["command"], []).append(image)
    for i, (command, images) in enumerate(by_command.items(), 1):
        print(f"[{i}/{len(by_command)}] {', '.join(images)}: {command}", flush=True)
        presets = dependencies(command, presets_dir)  # before the run: what the command is about to read
        with _out_folder(keep, f"{i:02d}-{os.path.splitext(images[0])[0]}") as out:
            done = run(argv_of(command, out, data_dir), cwd=ROOT)
            if done.returncode:
                raise FigureError(f"{command!r} exited {done.returncode}; {', '.join(images)} not redrawn")
            for image in images:
                made = os.path.join(out, manifest["images"][image]["file"])
                if not os.path.isfile(made):
                    raise FigureError(f"{command!r} did not write {manifest['images'][image]['file']} "
                                      f"(it wrote {', '.join(sorted(os.listdir(out))) or 'nothing'})")
                shutil.copyfile(made, os.path.join(images_dir, image))
        if dependencies(command, presets_dir) != presets:
            raise FigureError(f"a preset that {command!r} reads changed while it ran; run it again")
        when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        for image in images:
            manifest["images"][image].update(presets=presets, drawn=when)
        manifest["about"] = ABOUT
        write_manifest(manifest_path, manifest)
    return chosen


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[1])
    p.add_argument("images", nargs="*", metavar="IMAGE", help="file names in docs/images (default: every image)")
    p.add_argument("--check", action="store_true", help="list missing or stale images and exit 1; run nothing")
    p.add_argument("--keep", default=None, metavar="DIR", help="keep each command's folder (figures and JSON) in DIR")
    args = p.parse_args(argv)
    try:
        if args.check:
            problems = stale(read_manifest())
            for line in problems:
                print(line)
            return 1 if problems else 0
        drawn = redraw(args.images, keep=args.keep)
    except (FigureError, OSError, json.JSONDecodeError) as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    print(f"redrew {len(drawn)} image(s) and their entries in {os.path.relpath(MANIFEST, ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
