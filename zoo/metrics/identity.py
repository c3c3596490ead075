"""Identity as a measurement: how far apart two faces are as people, the Euclidean distance between dlib's 128-d
face-recognition descriptors (``FaceEmbeddingExtractor``, zoo/metrics/face_embedding.py: the 5-point landmarks in
the whole image, dlib's 150 px chip, the ResNet descriptor). dlib calls two faces the same person when their
descriptors are less than 0.6 apart (``SAME_PERSON``; dlib's dnn_face_recognition_ex.cpp: "if two face descriptor
vectors have a Euclidean distance between them less than 0.6 then they are from the same person", 99.38 % on
LFW, http://dlib.net/dnn_face_recognition_ex.cpp.html). On UTKFace chips the same face at 200 and 64 px is 0.13
apart, two different people 0.84 on average.

Faces are expected framed as chips (a zoo model's input or output, an aligned crop): the landmarks are searched in
the whole image, no face detection is run. Align a photo first (``python -m zoo.data.align``).

    python -m zoo.metrics.identity A_DIR B_DIR [--out report.json | report.csv]

pairs the images of two folders by file name (a photo and its projection, an image and its edit) and prints the
median and mean distance and the share of pairs under 0.6; an unreadable file or a name found in one folder only is
a counted skip, no pair at all is an error (exit 2), as is a missing dlib.
"""

from __future__ import annotations

import functools
import os
import sys

import numpy as np

SAME_PERSON = 0.6  # dlib's threshold for its descriptor (see above)
PROG = "python -m zoo.metrics.identity"


@functools.lru_cache(maxsize=1)
def extractor():
    """The one ``FaceEmbeddingExtractor`` of this process (loading dlib's two models takes a second); an
    ``ExtractorError`` saying how to install dlib when it is missing (not cached: a later install is seen)."""
    from zoo.metrics.face_embedding import FaceEmbeddingExtractor

    return FaceEmbeddingExtractor()


def unavailable() -> str | None:
    """Why identity cannot be measured here (dlib or its models missing), or None when it can."""
    from zoo.metrics.features import ExtractorError

    try:
        extractor()
    except ExtractorError as e:
        return str(e)
    return None


def _check_faces(images, what: str) -> np.ndarray:
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ValueError(f"identity: {what} must be uint8 faces [N, H, W, 1 or 3] (quantise generated images with "
                         f"zoo.utils.images.to_uint8), got {images.dtype} {images.shape}")
    return images


def embed(images, batch_size: int = 32, progress: bool = False, description: str = "identity") -> np.ndarray:
    """uint8 faces [N, H, W, C] -> dlib descriptors [N, 128] float32, ``batch_size`` at a time (tqdm bar when
    ``progress``)."""
    from tqdm.auto import tqdm

    images = _check_faces(images, "images")
    ext = extractor()
    starts = range(0, len(images), batch_size)
    out = [ext(images[i:i + batch_size]) for i in tqdm(starts, desc=description, disable=not progress, leave=False)]
    return np.concatenate(out) if out else np.zeros((0, 128), np.float32)


def identity_distances(a, b, batch_size: int = 32, progress: bool = False) -> np.ndarray:
    """Distances [N] between paired faces: ``a[i]`` and ``b[i]``, uint8 [N, H, W, C] each (the two batches may
    differ in size and channels, not in N). 0 for identical images; below ``SAME_PERSON`` (0.6) dlib's same person."""
    a, b = _check_faces(a, "a"), _check_faces(b, "b")
    if len(a) != len(b):
        raise ValueError(f"identity: paired batches must hold the same number of faces, got {len(a)} and {len(b)}")
    return np.linalg.norm(embed(a, batch_size, progress) - embed(b, batch_size, progress), axis=1)


def summary(distances) -> dict:
    """``{"median", "mean", "share_same_person", "n", "threshold"}`` of distances [N]; the share is the fraction
    under ``SAME_PERSON``. With no distance the statistics are None."""
    d = np.asarray(distances, np.float64).reshape(-1)
    if not len(d):
        return {"median": None, "mean": None, "share_same_person": None, "n": 0, "threshold": SAME_PERSON}
    return {"median": float(np.median(d)), "mean": float(d.mean()),
            "share_same_person": float(np.mean(d < SAME_PERSON)), "n": int(len(d)), "threshold": SAME_PERSON}


def describe(s: dict) -> str:
    """One line for a ``summary``: 'median 0.42, mean 0.45, 85% under 0.6 (n = 20)'."""
    if not s["n"]:
        return "no pairs"
    return (f"median {s['median']:.3f}, mean {s['mean']:.3f}, {100 * s['share_same_person']:.0f}% under "
            f"{s['threshold']} (n = {s['n']})")


def reconstruction_report(real_spec: str, decoders: list[str], encoder: str, n: int, split: str | None = None,
                          batch_size: int = 50, seed: int = 0, progress: bool = True) -> dict:
    """``zoo.evaluate --metrics identity``: each of ``n`` real faces (``real_spec``, a dataset or folder as
    ``--real``, at the decoder's size) against its reconstruction, decoded by each of ``decoders`` from ``encoder``'s
    posterior mean (a VAE's own pair: ``check_pair``). ``{"identity": True, "real", "results": [{"label",
    "summary", "distances"}]}``."""
    from tqdm.auto import tqdm

    from zoo.latent.models import Generator, check_pair, encode
    from zoo.metrics import image_sets
    from zoo.utils.images import to_uint8

    results, real_info = [], None
    for spec in decoders:
        check_pair(encoder, spec)
        decoder = Generator(spec)
        size, channels = int(decoder.model.image_size), int(decoder.model.channels)
        real = image_sets.resolve(real_spec, real=True, split=split, image_size=size, seed=seed)
        real_info, count, d = real.info, real.size_for(n), []
        bar = tqdm(total=count, desc=f"identity {spec}", disable=not progress, leave=False)
        for batch in real.batches(n, batch_size, 0, size, channels):
            faces = np.asarray(batch)
            recon = decoder(encode(encoder, faces.astype(np.float32) / 127.5 - 1.0))
            d.append(identity_distances(faces, to_uint8(recon)))
            bar.update(len(faces))
        bar.close()
        d = np.concatenate(d)
        results.append({"label": spec, "encoder": encoder, "resolution": size, "summary": summary(d),
                        "distances": d.tolist()})
    return {"identity": True, "real": {"spec": real_spec, "split": split, "info": real_info}, "results": results}


def format_reconstructions(report: dict) -> str:
    """A ``reconstruction_report`` as a markdown table: one row per decoder."""
    rows = [f"| {r['label']} (encoder {r['encoder']}) | {r['summary']['median']:.3f} | {r['summary']['mean']:.3f} | "
            f"{100 * r['summary']['share_same_person']:.0f}% | {r['summary']['n']} |" for r in report["results"]]
    return (f"Identity: dlib's descriptor distance between each real face ({report['real']['spec']}, split "
            f"{report['real']['split'] or 'all'}) and its reconstruction at the decoder's resolution; the same person "
            f"below {SAME_PERSON}.\n\n| reconstruction | median | mean | under {SAME_PERSON} | n |\n"
            "| --- | --- | --- | --- | --- |\n" + "\n".join(rows) + "\n")


def pair_files(a_dir: str, b_dir: str) -> tuple[list[tuple[str, str, str]], list[str]]:
    """``(pairs, unpaired)``: (name, path in a_dir, path in b_dir) for each image file name in both folders (sorted),
    and the image names found in one folder only."""
    from zoo.data.align import PHOTO_EXTENSIONS

    for folder in (a_dir, b_dir):
        if not os.path.isdir(folder):
            raise ValueError(f"{folder}: not a folder; expected a folder of face images")
    names = [{f for f in os.listdir(d) if f.lower().endswith(PHOTO_EXTENSIONS)} for d in (a_dir, b_dir)]
    both = sorted(names[0] & names[1])
    return ([(n, os.path.join(a_dir, n), os.path.join(b_dir, n)) for n in both],
            sorted(names[0] ^ names[1]))


def folder_distances(a_dir: str, b_dir: str, progress: bool = True) -> dict:
    """The paired-folder report: ``{"summary", "pairs": [{"name", "distance", "same_person"}], "skipped":
    {"unpaired": [...], "unreadable": [...]}}``. No readable pair is a ValueError."""
    from tqdm.auto import tqdm

    from zoo.data.errors import DataError
    from zoo.data.files import read_image

    pairs, unpaired = pair_files(a_dir, b_dir)
    faces, unreadable = [], []
    for name, pa, pb in pairs:
        try:
            faces.append((name, read_image(pa, 3), read_image(pb, 3)))
        except DataError:
            unreadable.append(name)
    if not faces:
        raise ValueError(f"no pair of readable images with the same file name in {a_dir} and {b_dir} ({len(pairs)} "
                         f"names in both, {len(unreadable)} unreadable, {len(unpaired)} in one folder only); "
                         f"expected the same file names in both folders")
    ext = extractor()
    rows = []
    for name, a, b in tqdm(faces, desc="identity", disable=not progress, leave=False):
        d = float(np.linalg.norm(ext(a[None]) - ext(b[None])))  # one pair at a time: sizes may differ
        rows.append({"name": name, "distance": d, "same_person": d < SAME_PERSON})
    return {"a": a_dir, "b": b_dir, "summary": summary([r["distance"] for r in rows]), "pairs": rows,
            "skipped": {"unpaired": unpaired, "unreadable": unreadable}}


def _write(path: str, report: dict) -> None:
    from zoo.utils.io import atomic_path, write_json

    if not path.lower().endswith(".csv"):
        write_json(path, report)
        return
    import csv

    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=("name", "distance", "same_person"))
        w.writeheader()
        w.writerows(report["pairs"])


def build_parser():
    import argparse

    from zoo.utils.arguments import Parser

    p = Parser(prog=PROG, description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("a_dir", metavar="A_DIR", help="folder of face images (e.g. photos)")
    p.add_argument("b_dir", metavar="B_DIR", help="folder of the paired images, same file names (e.g. projections)")
    p.add_argument("--out", metavar="report.json|report.csv",
                   help="write the report: JSON (summary, pairs, skips) or CSV (one row per pair)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def main(argv=None) -> int:
    from zoo.utils.arguments import check_output_folder, run_command

    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    if args.out:  # before TensorFlow and dlib start: a typo costs no start-up
        code = run_command(PROG, lambda: check_output_folder(os.path.dirname(args.out) or ".", "--out") and None)
        if code:
            return code
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    def work():
        report = folder_distances(args.a_dir, args.b_dir, progress=not args.no_progress)
        skipped = report["skipped"]
        print(f"identity distance ({len(report['pairs'])} pairs): {describe(report['summary'])}; skipped "
              f"{len(skipped['unpaired'])} unpaired and {len(skipped['unreadable'])} unreadable")
        if args.out:
            _write(args.out, report)
            print(f"wrote {args.out}")

    return run_command(PROG, work)


if __name__ == "__main__":
    sys.exit(main())
