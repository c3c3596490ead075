"""The TensorFlow-free photo path against the TensorFlow one on the same photos (issue 26, item 3).

    python -m bench.runtime_face --data-dir ../shared/data/utkface [--count 100] [--seed 0]

Takes ``--count`` faces of the classifiers' test split, re-rendered as photos exactly as ``bench.align_photos``
renders them (``rendered_photos``, same seed: the same photos), and runs on each the TF detector
(``zoo.data.face_detector``, mtcnn 1.0.0) and the runtime's (``export.runtime_face``: the same networks as ONNX
files, the pipeline in numpy). Prints whether both found a face, how far apart the largest face's landmarks and box
are (px), how far apart the two aligned crops are (mean |difference| in 0-255 levels), and seconds per photo,
detection and alignment, for both side by side (wall-clock and the process's CPU time, on a shared machine).
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def timed(fn, *args):
    """(result, wall-clock seconds, process CPU seconds) of ``fn(*args)``."""
    t, c = time.perf_counter(), time.process_time()
    out = fn(*args)
    return out, time.perf_counter() - t, time.process_time() - c


def main(argv=None) -> None:
    import numpy as np

    from bench.align_photos import rendered_photos
    from bench.common import table
    from export.runtime_face import OnnxFaceDetector
    from zoo.data.align import align_face
    from zoo.data.face_detector import FaceDetector
    from zoo.data.photo_input import template_and_side

    parser = argparse.ArgumentParser(prog="python -m bench.runtime_face", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=os.path.join("..", "shared", "data", "utkface"))
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    photos = rendered_photos(args.data_dir, args.count, args.seed)[2]
    template, side = template_and_side("utkface")
    detectors = {"TensorFlow (zoo.data.face_detector)": FaceDetector(), "ONNX Runtime (export.runtime_face)":
                 OnnxFaceDetector()}
    for d in detectors.values():
        d.detect(photos[0])  # the first call traces TensorFlow's networks; not part of the timing
    found, seconds = {}, {}
    for name, d in detectors.items():
        runs = []
        for photo in photos:
            faces, wall, cpu = timed(d.detect, photo)
            crop, wall_a, cpu_a = timed(align_face, photo, faces[0].landmarks, side, template) if faces else (
                None, 0.0, 0.0)
            runs.append((faces, crop, wall, cpu, wall_a, cpu_a))
        found[name] = runs
        seconds[name] = np.array([r[2:] for r in runs]).mean(0)
    tf_runs, rt_runs = found.values()
    both = [i for i in range(len(photos)) if tf_runs[i][0] and rt_runs[i][0]]
    counts = [sum(bool(r[0]) for r in runs) for runs in (tf_runs, rt_runs)]
    same_count = sum(len(a[0]) == len(b[0]) for a, b in zip(tf_runs, rt_runs))
    landmark = np.array([np.abs(tf_runs[i][0][0].landmarks - rt_runs[i][0][0].landmarks).max() for i in both])
    box = np.array([np.abs(np.subtract(tf_runs[i][0][0].box, rt_runs[i][0][0].box)).max() for i in both])
    crops = np.array([np.abs(tf_runs[i][1].astype(float) - rt_runs[i][1]).mean() for i in both])
    sizes = sorted({p.shape[0] for p in photos})
    print(f"{len(photos)} UTKFace test faces re-rendered as photos ({sizes[0]}-{sizes[-1]} px square), seed "
          f"{args.seed}\n")
    print(table([["photos with a face", *counts], ["photos with the same number of faces", same_count, same_count],
                 *[[f"seconds per photo, {what}", *(f"{seconds[n][k]:.3f}" for n in detectors)]
                   for k, what in enumerate(("detection (wall-clock)", "detection (process CPU)",
                                             "alignment (wall-clock)", "alignment (process CPU)"))]],
                ["", *detectors]))
    print(f"\nOn the {len(both)} photos where both found a face (the largest face compared):")
    print(f"- landmarks: median {np.median(landmark):.2g} px, max {landmark.max():.2g} px apart (largest of the "
          f"five points' x and y differences)")
    print(f"- box corners and sides: median {np.median(box):.2g} px, max {box.max():.2g} px")
    print(f"- aligned {side} px crops: mean |difference| {crops.mean():.3g} levels of 255 (max over photos "
          f"{crops.max():.3g})")
    print(f"\npython -m bench.runtime_face --data-dir {args.data_dir} --count {args.count} --seed {args.seed}")


if __name__ == "__main__":
    main()
