"""The ``predict`` command: a classifier preset's gender / ethnicity / age for image files and folders."""

from __future__ import annotations

import os
import sys

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp")
# A class head whose top probability is below this is marked low confidence (two of five ethnicity classes at
# 0.45 and 0.4, a gender at 0.6). The age head gives one number and no uncertainty, so age is never marked.
LOW_CONFIDENCE = 0.7


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
    """One line per image (per face when aligned): file, face and box, then per task the class, its name and
    probability (with "(low confidence)" below ``LOW_CONFIDENCE``), or the age."""
    from zoo.data.utkface import GENDERS, RACES

    names = {"gender": GENDERS, "ethnicity": RACES}
    tasks = [t for t in ("gender", "ethnicity", "age") if t in rows[0]]
    where = ["face", "box"] if "face" in rows[0] else []
    cells = [["file", *where, *tasks]]
    def cell(row, task):
        if task == "age":
            return str(row[task])
        low = " (low confidence)" if task in row.get("low_confidence", "").split() else ""
        return f"{row[task]} {names[task][row[task]]} p={row[task + '_prob']}{low}"

    def box(row):
        return f"{row['box_x']:g},{row['box_y']:g} {row['box_width']:g}x{row['box_height']:g}"

    cells += [[row["file"], *([str(row["face"]), box(row)] if where else []), *(cell(row, t) for t in tasks)]
              for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(cells[0]))]
    for line in cells:
        print("  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip())


def trained_on(metadata: dict, align: bool) -> str:
    """One line: what the preset's model was trained on, and how a photo is brought to it."""
    dataset = str(metadata.get("dataset", "unknown data"))
    if dataset.startswith("utkface"):
        what = (f"models trained on UTKFace chips ({dataset.removeprefix('utkface').strip(' ()')}): 200x200 faces "
                "aligned and cropped by UTKFace's own pipeline")
    else:
        what = f"models trained on {dataset}"
    how = ("each face found is aligned to the mean landmarks of UTKFace chips (zoo/data/templates/utkface.json)"
           if align else "--no-align: each photo's central square is used as it is; a photo framed unlike the "
                         "training images is misread")
    return f"{what}; {how}"


def predict_main(argv, prog: str = "python -m recipes.utkface_classifiers predict") -> int:
    """The ``predict`` command: gender / ethnicity / age of the faces in image files and folders with a classifier
    preset, printed as a table (one row per face, with its box) or written as CSV. By default each photo's largest
    face (each face with ``--all-faces``) is found by MTCNN and aligned to the UTKFace template at the chips' 200 px,
    then read as training read its chips (``transforms.model_input``: resized, converted); a photo without a face
    is a counted skip. ``--no-align`` reads each photo's central square instead, as before. Returns the exit code:
    0, or 2 after a clear message for a missing path, a bad preset or when no file gave a prediction."""
    import argparse
    import csv

    import numpy as np

    parser = argparse.ArgumentParser(prog=prog,
                                     description="Predict gender / ethnicity / age of the faces in images with a "
                                                 "preset: prints a table, or writes it as CSV with --csv.")
    parser.add_argument("--preset", required=True, help="built-in preset name or preset folder")
    parser.add_argument("--csv", default=None, metavar="PATH",
                        help="write the predictions to this CSV instead of printing them (default: print only)")
    parser.add_argument("paths", nargs="+", metavar="path", help="image files and folders of images (not recursive)")
    parser.add_argument("--no-align", dest="align", action="store_false",
                        help="no face detection: read each photo's central square, resized (the old behaviour)")
    parser.add_argument("--all-faces", action="store_true", help="one row per face found (default: the largest)")
    parser.add_argument("--verbose", action="store_true", help="keep TensorFlow's start-up log lines")
    args = parser.parse_args(argv)
    if args.all_faces and not args.align:
        print(f"{prog}: error: --all-faces needs face detection; drop --no-align", file=sys.stderr)
        return 2
    from zoo.utils.logs import quiet_tensorflow

    quiet_tensorflow(args.verbose)

    from tqdm.auto import tqdm

    from zoo.data.errors import DataError
    from zoo.data.files import read_image
    from zoo.data.photo_input import NO_ALIGN_HINT, photo_faces
    from zoo.data.transforms import model_input
    from zoo.registry import PresetError, from_preset, load_preset_metadata

    try:
        files = predict_files(args.paths)
        model = from_preset(args.preset)
        metadata = load_preset_metadata(args.preset)
    except (PredictError, PresetError) as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 2
    if not hasattr(model, "tasks"):
        print(f"{prog}: error: preset {args.preset} is a {type(model).__name__}, not a FaceClassifier",
              file=sys.stderr)
        return 2
    size, channels = model.image_size, model.channels
    form = f"{size}x{size} {'greyscale' if channels == 1 else 'colour'} input"
    if args.align:
        from zoo.data.photo_input import default_detector, template_and_side

        if not str(metadata.get("dataset", "")).startswith("utkface"):
            print(f"{prog}: error: preset {args.preset} was trained on {metadata.get('dataset', 'unknown data')}, "
                  f"and photos can be aligned only to UTKFace's chips; use --no-align", file=sys.stderr)
            return 2
        try:
            template_and_side("utkface")
            default_detector()  # loaded before the first photo: a missing package is one sentence
        except DataError as e:
            print(f"{prog}: error: {e}", file=sys.stderr)
            return 2
    rows, failed, faceless, resized = [], [], [], 0

    def predict_row(x, row):
        out = {k: np.asarray(v)[0] for k, v in model(x, training=False).items()}
        low = []
        for task in ("gender", "ethnicity"):
            if task in out:
                k = int(out[task].argmax())
                row.update({task: k, f"{task}_prob": round(float(out[task][k]), 4)})
                low += [task] if float(out[task][k]) < LOW_CONFIDENCE else []
        if any(t in out for t in ("gender", "ethnicity")):
            row["low_confidence"] = " ".join(low)
        if "age" in out:
            row["age"] = round(float(out["age"]), 1)
        rows.append(row)

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
        if not args.align:
            x, orig = model_input(photo, size, channels), (photo.shape[1], photo.shape[0])  # orig: (width, height)
            if orig != (size, size):
                resized += 1
                if len(files) == 1:
                    print(f"note: {path} is {orig[0]}x{orig[1]}; converted to the preset's {form}")
            predict_row(x, {"file": label})
            continue
        found = photo_faces(photo, size, channels, align=True, all_faces=args.all_faces)
        if not found:
            faceless.append(path)
            print(f"skipped: no face found in {path} ({NO_ALIGN_HINT})", file=sys.stderr)
        for k, read in enumerate(found):
            box = dict(zip(("box_x", "box_y", "box_width", "box_height"), (round(v, 1) for v in read.face.box)))
            predict_row(read.x, {"file": label, "face": k, **box})
    if not rows:
        reasons = ", ".join(f"{n} {what}" for n, what in ((len(failed), "unreadable"), (len(faceless), "without a face"))
                            if n)
        print(f"{prog}: error: no prediction: of {len(files)} image files, {reasons}", file=sys.stderr)
        return 2
    notes = ([f"note: {resized} images were converted to the preset's {form}"] if resized and len(files) > 1 else []) \
        + ([f"note: {len(failed)} unreadable files skipped"] if failed else []) \
        + ([f"note: {len(faceless)} of {len(files)} images skipped: no face found"] if faceless else [])
    if args.csv is None:
        print_table(rows)
    else:
        from zoo.utils.io import atomic_path

        fields = ["file", "face", "box_x", "box_y", "box_width", "box_height"] if args.align else ["file"]
        fields += [c for c in ("gender", "gender_prob", "ethnicity", "ethnicity_prob", "low_confidence", "age")
                   if c in rows[0]]
        try:
            with atomic_path(args.csv) as tmp, open(tmp, "w", newline="") as f:
                w = csv.DictWriter(f, fieldnames=fields)
                w.writeheader()
                w.writerows(rows)
        except OSError as e:
            print(f"{prog}: error: cannot write {args.csv}: {e.strerror or e}", file=sys.stderr)
            return 2
        print(f"wrote {args.csv} ({len(rows)} rows)")
    print(f"note: {trained_on(metadata, args.align)}")
    marked = sum(bool(r.get("low_confidence")) for r in rows)
    if marked:
        print(f"note: {marked} of {len(rows)} rows have a class below p={LOW_CONFIDENCE} (low confidence: the "
              f"model is unsure; age is never marked, its head gives no uncertainty)")
    for note in notes:
        print(note)
    return 0
