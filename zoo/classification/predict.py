"""The ``predict`` command: a classifier preset's gender / ethnicity / age for image files and folders."""

from __future__ import annotations

import os
import sys

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp")


class PredictError(ValueError):
    """A path given to ``predict`` that is missing or a folder without images."""


def predict_files(paths: list[str]) -> list[tuple[str, str]]:
    """``(path, label)`` of every image to predict: each file argument and each folder's images (sorted, not
    recursive), in the order the arguments are given. The label (the table's and the CSV's ``file`` column) is the
    path, or just the name when a single folder is the only argument. Raises ``PredictError`` naming a missing path
    or a folder without images, before any model is loaded."""
    found = []
    for path in paths:
        if os.path.isdir(path):
            names = sorted(f for f in os.listdir(path) if f.lower().endswith(IMAGE_EXTENSIONS))
            if not names:
                raise PredictError(f"no image files ({', '.join(IMAGE_EXTENSIONS)}) in {path}")
            found += [(os.path.join(path, n), n if len(paths) == 1 else os.path.join(path, n)) for n in names]
        elif os.path.isfile(path):
            found.append((path, path))
        else:
            raise PredictError(f"{path} does not exist")
    return found


def print_table(rows: list[dict]) -> None:
    """One line per image: file, then per task the class, its name and probability, or the age."""
    from zoo.data.utkface import GENDERS, RACES

    names = {"gender": GENDERS, "ethnicity": RACES}
    tasks = [t for t in ("gender", "ethnicity", "age") if t in rows[0]]
    cells = [["file", *tasks]]
    def cell(row, task):
        return str(row[task]) if task == "age" else f"{row[task]} {names[task][row[task]]} p={row[task + '_prob']}"

    cells += [[row["file"], *(cell(row, t) for t in tasks)] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(cells[0]))]
    for line in cells:
        print("  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip())


def predict_main(argv, prog: str = "python -m recipes.utkface_classifiers predict") -> int:
    """The ``predict`` command: gender / ethnicity / age of image files and folders with a classifier preset,
    printed as a table or written as CSV. Each photo is read as training read its data (``read_image`` +
    ``transforms.model_input``: the central square, resized). Returns the exit code: 0, or 2 after a clear
    message for a missing path, a bad preset or when no file could be read (an unreadable file among several is a
    counted skip)."""
    import argparse
    import csv

    import numpy as np

    parser = argparse.ArgumentParser(prog=prog,
                                     description="Predict gender / ethnicity / age of face images with a preset: "
                                                 "prints a table, or writes it as CSV with --csv.")
    parser.add_argument("--preset", required=True, help="built-in preset name or preset folder")
    parser.add_argument("--csv", default=None, metavar="PATH",
                        help="write the predictions to this CSV instead of printing them (default: print only)")
    parser.add_argument("paths", nargs="+", metavar="path", help="image files and folders of images (not recursive)")
    parser.add_argument("--verbose", action="store_true", help="keep TensorFlow's start-up log lines")
    args = parser.parse_args(argv)
    from zoo.utils.logs import quiet_tensorflow

    quiet_tensorflow(args.verbose)

    from tqdm.auto import tqdm

    from zoo.data.errors import DataError
    from zoo.data.files import read_image
    from zoo.data.transforms import model_input
    from zoo.registry import PresetError, from_preset

    try:
        files = predict_files(args.paths)
        model = from_preset(args.preset)
    except (PredictError, PresetError) as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 2
    if not hasattr(model, "tasks"):
        print(f"{prog}: error: preset {args.preset} is a {type(model).__name__}, not a FaceClassifier",
              file=sys.stderr)
        return 2
    size, channels = model.image_size, model.channels
    form = f"{size}x{size} {'greyscale' if channels == 1 else 'colour'} input"
    rows, failed, resized = [], [], 0
    for path, label in tqdm(files, desc="predicting", unit="img", disable=len(files) < 2, leave=False):
        try:
            photo = read_image(path, channels=3)
        except DataError as e:
            if len(files) == 1:
                print(f"{prog}: error: {e}", file=sys.stderr)
                return 2
            failed.append(path)
            print(f"skipped: {e}", file=sys.stderr)
            continue
        x, orig = model_input(photo, size, channels), (photo.shape[1], photo.shape[0])  # orig: (width, height)
        if orig != (size, size):
            resized += 1
            if len(files) == 1:
                print(f"note: {path} is {orig[0]}x{orig[1]}; converted to the preset's {form}")
        out = {k: np.asarray(v)[0] for k, v in model(x, training=False).items()}
        row = {"file": label}
        for task in ("gender", "ethnicity"):
            if task in out:
                k = int(out[task].argmax())
                row.update({task: k, f"{task}_prob": round(float(out[task][k]), 4)})
        if "age" in out:
            row["age"] = round(float(out["age"]), 1)
        rows.append(row)
    if not rows:
        print(f"{prog}: error: none of the {len(files)} image files could be read", file=sys.stderr)
        return 2
    notes = ([f"note: {resized} images were converted to the preset's {form}"] if resized and len(files) > 1 else []) \
        + ([f"note: {len(failed)} unreadable files skipped"] if failed else [])
    if args.csv is None:
        print_table(rows)
    else:
        from zoo.utils.io import atomic_path

        fields = ["file"] + [c for c in ("gender", "gender_prob", "ethnicity", "ethnicity_prob", "age") if c in rows[0]]
        try:
            with atomic_path(args.csv) as tmp, open(tmp, "w", newline="") as f:
                w = csv.DictWriter(f, fieldnames=fields)
                w.writeheader()
                w.writerows(rows)
        except OSError as e:
            print(f"{prog}: error: cannot write {args.csv}: {e.strerror or e}", file=sys.stderr)
            return 2
        print(f"wrote {args.csv} ({len(rows)} rows)")
    for note in notes:
        print(note)
    return 0
