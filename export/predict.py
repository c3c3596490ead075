"""python -m export.predict CLASSIFIER.onnx PHOTO [PHOTO|FOLDER ...] [--no-align] [--all-faces] [--csv OUT]

An exported classifier's gender / ethnicity / age for the faces in photos, with numpy, onnxruntime and Pillow only:
each photo's largest face (every face with --all-faces) found by MTCNN (export.runtime_face), aligned to the UTKFace
template and read as training read its chips; one row per face, with its box. --no-align reads the central square.
A photo without a face is a counted skip; exit 2 when no photo gave a prediction.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

PROG = "python -m export.predict"
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp")
# The zoo's names and mark (zoo.data.utkface GENDERS / RACES, zoo.classification.predict LOW_CONFIDENCE), repeated
# because the runtime cannot import zoo; tests/export/test_runtime_face.py checks they are the same.
LABELS = {"gender": ("male", "female"), "ethnicity": ("White", "Black", "Asian", "Indian", "Others")}
LOW_CONFIDENCE = 0.7
NO_ALIGN_HINT = "--no-align reads its central square instead"


def predict_photo(classifier, photo: np.ndarray, detector=None, align: bool = True,
                  all_faces: bool = False) -> list[dict]:
    """One dict per face of ``photo`` (uint8 [H, W, 3]), largest first: ``face``, ``box`` (x, y, width, height;
    None unaligned), ``confidence``, ``crop`` (what was read: the aligned face, or the central square) and
    ``outputs`` {head: values}. Empty when aligning finds no face. ``classifier``: an ``OnnxClassifier``;
    ``detector``: an ``OnnxFaceDetector`` (default: the shipped one)."""
    from export.face_align import central_square, model_pixels

    _, size, _, channels = classifier.input_shape
    if align:
        if detector is None:
            from export.runtime_face import OnnxFaceDetector

            detector = OnnxFaceDetector()
        found = [(f.box, f.confidence, crop) for f, crop in detector.face_crops(photo, all_faces)]
    else:
        found = [(None, None, central_square(photo))]
    if not found:
        return []
    x = np.stack([model_pixels(crop, size, channels) for _, _, crop in found])
    out = classifier.predict(x)
    return [{"face": k, "box": box, "confidence": conf, "crop": crop, "outputs": {n: v[k] for n, v in out.items()}}
            for k, (box, conf, crop) in enumerate(found)]


def describe(outputs: dict) -> dict:
    """Table cells of one face's outputs: a class head as "<index> <name> p=<prob>" (marked below
    ``LOW_CONFIDENCE``), age and any other one-number head as its value."""
    cells = {}
    for name, value in outputs.items():
        value = np.ravel(value)
        if value.size == 1:
            cells[name] = f"{float(value[0]):.1f}"
            continue
        k = int(value.argmax())
        label = LABELS.get(name, ())[k] if k < len(LABELS.get(name, ())) else ""
        low = " (low confidence)" if value[k] < LOW_CONFIDENCE else ""
        cells[name] = f"{k} {label} p={float(value[k]):.4f}{low}".replace("  ", " ")
    return cells


def list_photos(paths: list[str]) -> list[str]:
    """Each file, and each folder's images (sorted, not recursive); a ValueError naming a missing path or an empty
    folder."""
    found = []
    for path in paths:
        if os.path.isdir(path):
            names = sorted(f for f in os.listdir(path) if f.lower().endswith(IMAGE_EXTENSIONS))
            if not names:
                raise ValueError(f"no image files ({', '.join(IMAGE_EXTENSIONS)}) in {path}")
            found += [os.path.join(path, n) for n in names]
        elif os.path.isfile(path):
            found.append(path)
        else:
            raise ValueError(f"{path} does not exist")
    return found


def read_photo(path: str) -> np.ndarray:
    """uint8 [H, W, 3] RGB of an image file; a ValueError naming it when Pillow cannot read it."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB"), np.uint8)
    except (UnidentifiedImageError, OSError) as e:
        raise ValueError(f"{path} is not a readable image: {e}") from e


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[1])
    p.add_argument("model", help="classifier .onnx file written by python -m export")
    p.add_argument("paths", nargs="+", metavar="photo", help="image files and folders of images")
    p.add_argument("--detector", default=None, help="folder of the face detector (default: the shipped one)")
    p.add_argument("--no-align", dest="align", action="store_false", help="read each photo's central square")
    p.add_argument("--all-faces", action="store_true", help="one row per face found (default: the largest)")
    p.add_argument("--csv", default=None, metavar="PATH", help="write the rows to this CSV instead of printing them")
    args = p.parse_args(sys.argv[1:] if argv is None else argv)
    if args.all_faces and not args.align:
        p.error("--all-faces needs face detection; drop --no-align")
    try:
        from export.runtime import OnnxClassifier
        from export.runtime_face import OnnxFaceDetector

        photos = list_photos(args.paths)
        classifier = OnnxClassifier(args.model)
        detector = OnnxFaceDetector(args.detector) if args.align else None
    except (ImportError, FileNotFoundError, ValueError) as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    rows, unreadable, faceless = [], 0, 0
    for path in photos:
        try:
            photo = read_photo(path)
        except ValueError as e:
            unreadable += 1
            print(f"skipped: {e}", file=sys.stderr)
            continue
        found = predict_photo(classifier, photo, detector, args.align, args.all_faces)
        if not found:
            faceless += 1
            print(f"skipped: no face found in {path} ({NO_ALIGN_HINT})", file=sys.stderr)
        rows += [{"file": path, "face": r["face"],
                  "box": "" if r["box"] is None else "{:.1f},{:.1f} {:.1f}x{:.1f}".format(*r["box"]),
                  **describe(r["outputs"])} for r in found]
    if not rows:
        why = ", ".join(f"{n} {w}" for n, w in ((unreadable, "unreadable"), (faceless, "without a face")) if n)
        print(f"{PROG}: error: no prediction: of {len(photos)} photos, {why}", file=sys.stderr)
        return 2
    write_rows(rows, args.csv)
    if faceless or unreadable:
        print(f"note: {faceless} of {len(photos)} photos without a face, {unreadable} unreadable: skipped",
              file=sys.stderr)
    return 0


def write_rows(rows: list[dict], csv_path: str | None) -> None:
    """The rows as an aligned table on stdout, or as CSV written atomically to ``csv_path``."""
    fields = list(rows[0])
    if csv_path is None:
        cells = [fields] + [[str(r[f]) for f in fields] for r in rows]
        widths = [max(len(line[i]) for line in cells) for i in range(len(fields))]
        for line in cells:
            print("  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip())
        return
    import csv
    import tempfile

    folder = os.path.dirname(os.path.abspath(csv_path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".csv", dir=folder)
    try:
        with os.fdopen(fd, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)  # mkstemp makes it 0600
        os.replace(tmp, csv_path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    print(f"wrote {csv_path}: {len(rows)} faces")


if __name__ == "__main__":
    sys.exit(main())
