"""Mask quality of a segmenter where the truth is known: IoU on the synthetic faces (their masks come with them).

    python -m bench.segmenter_iou [--model auto] [--count 256] [--sizes 64,128,256] [--plain]

Prints a markdown table: per image size, the mean and 10th-percentile IoU (masks cut at 0.5) of the segmenter
and of the trivial all-foreground mask (the floor a useless segmenter reaches), and images per second.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(argv=None) -> None:
    import numpy as np

    from bench.common import table
    from zoo.data.remove_background import segment
    from zoo.data.synthetic import render_faces
    from zoo.segmentation import make_session, mask_iou, resolve_model

    parser = argparse.ArgumentParser(prog="python -m bench.segmenter_iou", description=__doc__)
    parser.add_argument("--model", default="auto")
    parser.add_argument("--count", type=int, default=256)
    parser.add_argument("--sizes", default="64,128,256")
    parser.add_argument("--plain", action="store_true", help="plain backgrounds instead of photo-like clutter")
    args = parser.parse_args(argv)
    session = make_session(args.model, threads=os.cpu_count() or 1)
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        faces = render_faces(0, args.count, size, seed=123, plain_background=args.plain)
        t = time.perf_counter()
        ious = [mask_iou(segment(im, session), m) for im, m in zip(faces.images, faces.masks)]
        rate = len(ious) / (time.perf_counter() - t)
        floor = [mask_iou(np.ones_like(m), m) for m in faces.masks]
        rows.append([size, f"{np.mean(ious):.3f}", f"{np.percentile(ious, 10):.3f}", f"{np.mean(floor):.3f}",
                     f"{rate:.1f}"])
    print(f"segmenter: {resolve_model(args.model)}; {args.count} synthetic faces (seed 123), "
          f"{'plain' if args.plain else 'photo-like'} backgrounds")
    print(table(rows, ["size", "mean IoU", "p10 IoU", "all-foreground IoU", "img/s"]))


if __name__ == "__main__":
    main()
