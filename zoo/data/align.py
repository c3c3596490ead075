"""Face alignment: a photo's face warped onto the geometry a model was trained on.

The five landmarks of a detected face (``zoo.data.face_detector``) are fitted to a template's five points by a
similarity transform (rotation, uniform scale, translation; least squares, Umeyama 1991), and the photo is warped
by it. The UTKFace template is derived from the data itself: the mean landmarks of a seeded sample of UTKFace
chips, in chip-normalised coordinates (``zoo/data/templates/utkface.json``, written by the ``template`` command,
which records its command, counts and detection rate). An aligned photo is then framed as a UTKFace chip is.

    python -m zoo.data.align photos/ aligned/                 # largest face of each photo -> aligned/, landmarks.csv
    python -m zoo.data.align photos/ aligned/ --all-faces     # every face: <name>_<k>.png
    python -m zoo.data.align template --data-dir ../shared/data/utkface --count 2000 --seed 0

Alignment is resumable: a photo listed in DST/landmarks.csv is done and skipped. Photos without a face and
unreadable files are counted skips, listed in the CSV with their status.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys

import numpy as np

from export.face_align import align_face, apply_transform, similarity_transform  # noqa: F401 (one copy, numpy only)
from zoo.data.errors import DataError

TEMPLATE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")
PHOTO_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp")
CSV_NAME = "landmarks.csv"


def load_template(name: str = "utkface") -> dict:
    """The template ``name`` from ``zoo/data/templates/<name>.json``: its ``landmarks`` [5, 2] in [0, 1] (x, y as
    fractions of the training image's width and height) and the record of how it was derived."""
    from zoo.utils.io import read_json

    path = os.path.join(TEMPLATE_DIR, f"{name}.json")
    if not os.path.isfile(path):
        known = sorted(f[:-5] for f in os.listdir(TEMPLATE_DIR) if f.endswith(".json")) \
            if os.path.isdir(TEMPLATE_DIR) else []
        raise DataError(f"no alignment template {name!r} ({path}); known: {', '.join(known) or 'none'}")
    template = read_json(path)
    points = np.asarray(template.get("landmarks"), np.float64)
    if points.shape != (5, 2) or not np.all((points > 0) & (points < 1)):
        raise DataError(f"{path}: expected 'landmarks' as 5 [x, y] pairs inside (0, 1), got {points.tolist()}")
    return template


def aligned_faces(image: np.ndarray, detector, template: dict, size: int, all_faces: bool = False) -> list:
    """``[(face, crop uint8 [size, size, 3])]`` for the largest face of ``image`` (every face with ``all_faces``),
    largest first; empty when the detector finds none."""
    faces = detector.detect(image)
    return [(f, align_face(image, f.landmarks, size, template)) for f in (faces if all_faces else faces[:1])]


# -- the template ---------------------------------------------------------------------------------------------
def derive_template(paths: list[str], detector, progress: bool = True) -> dict:
    """The mean landmarks of the largest face of each image in ``paths`` (chips, all of one size), as fractions of
    the image's side, with their spread and counts."""
    from tqdm.auto import tqdm

    from zoo.data.files import read_image

    points, missed, sides = [], 0, set()
    for path in tqdm(paths, desc="detecting", unit="img", disable=not progress):
        image = read_image(path, channels=3)
        sides.add(image.shape[:2])
        faces = detector.detect(image)
        if not faces:
            missed += 1
            continue
        points.append(faces[0].landmarks / [image.shape[1], image.shape[0]])
    if not points:
        raise DataError(f"no face found in any of the {len(paths)} images")
    points = np.stack(points)
    return {"landmarks": points.mean(0).round(5).tolist(), "landmarks_std": points.std(0).round(5).tolist(),
            "sampled": len(paths), "detected": len(points), "detection_rate": round(len(points) / len(paths), 4),
            "image_sides": sorted({f"{w}x{h}" for h, w in sides})}


def template_main(argv) -> int:
    from zoo.utils.arguments import Parser, check_output_folder, integer, run_command

    parser = Parser(prog="python -m zoo.data.align template",
                    description="Derive the UTKFace alignment template: mean MTCNN landmarks of a seeded sample.")
    parser.add_argument("--data-dir", required=True, help="the UTKFace folder of *.jpg.chip.jpg files")
    parser.add_argument("--count", type=integer(1), default=2000, help="images sampled (default: %(default)s)")
    parser.add_argument("--seed", type=integer(0), default=0, help="seed of the sample (default: %(default)s)")
    parser.add_argument("--out", default=os.path.join(TEMPLATE_DIR, "utkface.json"), help="the JSON to write")
    args = parser.parse_args(argv)

    def work():
        from zoo.data.face_detector import DETECTOR, LANDMARKS, FaceDetector
        from zoo.data.utkface import load_utkface
        from zoo.utils.io import write_json

        check_output_folder(os.path.dirname(os.path.abspath(args.out)), "--out")
        source = load_utkface(args.data_dir)
        if args.count > len(source):
            raise DataError(f"--count {args.count}: the folder has only {len(source)} usable images")
        pick = np.sort(np.random.default_rng(args.seed).choice(len(source), args.count, replace=False))
        found = derive_template([source.paths[i] for i in pick], FaceDetector())
        record = {"name": "utkface", "detector": DETECTOR, "landmark_names": list(LANDMARKS),
                  "coordinates": "x, y as fractions of the chip's width and height (continuous: pixel i spans "
                                 "[i, i + 1) / side); mean over the largest face of each chip where one was found",
                  **found, "seed": args.seed, "dataset_images": len(source),
                  "command": f"python -m zoo.data.align template --data-dir {args.data_dir} --count {args.count} "
                             f"--seed {args.seed}"}
        write_json(args.out, record)
        print(f"wrote {args.out}: {found['detected']} of {found['sampled']} chips with a face "
              f"({found['detection_rate']:.1%})")

    return run_command(parser.prog, work)


# -- aligning a folder --------------------------------------------------------------------------------------------
def list_photos(src: str) -> list[str]:
    """The image files of folder ``src`` (sorted, not recursive), or ``[src]`` for one file; DataError if none."""
    if os.path.isdir(src):
        found = sorted(os.path.join(src, f) for f in os.listdir(src) if f.lower().endswith(PHOTO_EXTENSIONS))
        if not found:
            raise DataError(f"no image files ({', '.join(PHOTO_EXTENSIONS)}) in {src}")
        return found
    if os.path.isfile(src):
        return [src]
    raise DataError(f"{src} does not exist")


def csv_fields() -> list[str]:
    from zoo.data.face_detector import LANDMARKS

    return ["file", "status", "face", "output", "x", "y", "width", "height", "confidence",
            *(f"{n}_{c}" for n in LANDMARKS for c in "xy")]


def align_folder(src: str, dst: str, size: int = 200, template: str = "utkface", all_faces: bool = False,
                 progress: bool = True) -> dict:
    """Align the photos of ``src`` (a folder, or one file) into ``dst`` as PNGs and record every face's box and
    landmarks (photo coordinates) in ``dst/landmarks.csv``; photos already listed there are skipped. Returns the
    counts: photos, already_done, aligned, faces, no_face, unreadable."""
    from tqdm.auto import tqdm
    from PIL import Image

    from zoo.data.face_detector import FaceDetector
    from zoo.data.files import read_image
    from zoo.utils.arguments import check_output_folder
    from zoo.utils.io import atomic_path

    photos = list_photos(src)
    check_output_folder(dst, "DST")
    if os.path.isdir(src) and os.path.abspath(src) == os.path.abspath(dst):
        raise DataError(f"DST must differ from SRC ({src}): aligned crops would be mixed with the photos")
    chosen = load_template(template)
    table = os.path.join(dst, CSV_NAME)
    rows = []
    if os.path.isfile(table):
        with open(table, newline="") as f:
            reader = csv.DictReader(f)
            if reader.fieldnames != csv_fields():
                raise DataError(f"{table} has the columns {reader.fieldnames}, not those this command writes; "
                                f"choose another DST")
            rows = list(reader)
    done = {r["file"] for r in rows}
    todo = [p for p in photos if os.path.basename(p) not in done]
    counts = {"photos": len(photos), "already_done": len(photos) - len(todo), "aligned": 0, "faces": 0,
              "no_face": 0, "unreadable": 0}

    def save_table():
        with atomic_path(table) as tmp, open(tmp, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=csv_fields())
            writer.writeheader()
            writer.writerows(rows)

    detector = FaceDetector() if todo else None
    os.makedirs(dst, exist_ok=True)
    try:
        for i, path in enumerate(tqdm(todo, desc="aligning", unit="img", disable=not progress)):
            name, stem = os.path.basename(path), os.path.splitext(os.path.basename(path))[0]
            try:
                image = read_image(path, channels=3)
            except DataError as e:
                counts["unreadable"] += 1
                print(f"skipped: {e}", file=sys.stderr)
                rows.append({"file": name, "status": "unreadable"})
                continue
            found = aligned_faces(image, detector, chosen, size, all_faces)
            if not found:
                counts["no_face"] += 1
                rows.append({"file": name, "status": "no face"})
            for k, (face, crop) in enumerate(found):
                out = f"{stem}_{k}.png" if all_faces else f"{stem}.png"
                with atomic_path(os.path.join(dst, out)) as tmp:
                    Image.fromarray(crop).save(tmp, format="PNG")
                x, y, w, h = face.box
                rows.append({"file": name, "status": "aligned", "face": k, "output": out, "x": round(x, 1),
                             "y": round(y, 1), "width": round(w, 1), "height": round(h, 1),
                             "confidence": round(face.confidence, 4),
                             **{key: round(float(v), 2) for key, v in zip(csv_fields()[9:], face.landmarks.ravel())}})
            counts["aligned"] += bool(found)
            counts["faces"] += len(found)
            if i % 50 == 49:
                save_table()  # an interrupted run loses at most the last 50 photos' work
    finally:
        if todo:
            save_table()
    return counts


def main(argv=None) -> int:
    from zoo.utils.arguments import Parser, integer, run_resumable

    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "template":
        return template_main(argv[1:])
    parser = Parser(prog="python -m zoo.data.align", description=__doc__,
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("src", metavar="SRC", help="a photo, or a folder of photos (not recursive)")
    parser.add_argument("dst", metavar="DST", help="output folder: aligned PNGs and landmarks.csv")
    parser.add_argument("--size", type=integer(8, 1024), default=200,
                        help="side of the aligned crops (default: %(default)s, a UTKFace chip's)")
    parser.add_argument("--template", default="utkface", help="alignment template (default: %(default)s)")
    parser.add_argument("--all-faces", action="store_true", help="align every face, not only the largest")
    args = parser.parse_args(argv)
    result = {}

    def work():
        from zoo.utils.logs import quiet_tensorflow

        quiet_tensorflow(False)
        result.update(align_folder(args.src, args.dst, args.size, args.template, args.all_faces))

    code = run_resumable(parser.prog, work)
    if code:
        return code
    c = result
    print(f"{c['aligned']} photos aligned ({c['faces']} faces), {c['already_done']} already done, skipped: "
          f"{c['no_face']} without a face, {c['unreadable']} unreadable, of {c['photos']} -> {args.dst}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
