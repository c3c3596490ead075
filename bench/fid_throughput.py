"""FID throughput: facezoo's extraction (tf.data stream -> one tf.function, optionally XLA -> streaming float64
statistics) against a naive per-batch eager loop (numpy batches, eager resize and model call, features kept and
np.cov at the end), in the same run on the same images.

    python -m bench.fid_throughput [--extractor inception|small] [--images 128] [--batch-size 32]

The InceptionV3 here has random weights, saved to a temporary file and loaded through the same
``--inception-weights`` path as real weights: speed does not depend on the weight values, and the numbers it
prints are timings only, never FIDs to quote. Prints images/s of the feature extraction and of a whole FID
(both sets extracted + statistics + Frechet distance), and the ratios (best of --repeats).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _inception_file(folder: str) -> str:
    import keras

    path = os.path.join(folder, "inception_random.weights.h5")
    keras.applications.InceptionV3(weights=None, include_top=True).save_weights(path)
    return path


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--extractor", choices=("inception", "small"), default="inception")
    p.add_argument("--images", type=int, default=128, help="images per set")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--resolution", type=int, default=64, help="resolution of the images before the extractor")
    p.add_argument("--repeats", type=int, default=3, help="time each variant this many times, keep the best")
    p.add_argument("--no-xla", action="store_true", help="skip the XLA variant")
    args = p.parse_args(argv)

    import keras
    import numpy as np
    import tensorflow as tf

    from bench.common import table
    from zoo.data import ImageSource
    from zoo.metrics.features import inception_extractor, keras_extractor
    from zoo.metrics.fid import frechet_distance, statistics_distance
    from zoo.metrics.image_sets import ImageSet
    from zoo.metrics.measure import measure_images

    n, bs, res = args.images, args.batch_size, args.resolution
    rng = np.random.default_rng(0)
    sets = [rng.integers(0, 256, (n, res, res, 3), dtype=np.uint8) for _ in range(2)]
    tmp = tempfile.mkdtemp(prefix="fid_bench_")

    def make(jit):
        if args.extractor == "inception":
            return inception_extractor(weights_file, jit_compile=jit)
        keras.utils.set_random_seed(0)
        net = keras.Sequential([keras.Input((64, 64, 3)), keras.layers.Conv2D(32, 3, strides=2, activation="relu"),
                                keras.layers.Conv2D(64, 3, strides=2, activation="relu"),
                                keras.layers.Conv2D(128, 3, strides=2, activation="relu"),
                                keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(128), keras.layers.Dense(2)],
                               name="small_cnn")
        return keras_extractor(net, jit_compile=jit)

    weights_file = _inception_file(tmp) if args.extractor == "inception" else None
    extractor = make(False)

    def stream(images):
        source = ImageSource(name="bench", arrays=images)
        return ImageSet("bench", "dataset", res, 3, n, {}, source=source).batches(n, bs)

    # --- facezoo: tf.data stream -> tf.function -> streaming statistics
    def facezoo_extract(ext, images):
        return measure_images(stream(images), ext, progress=False).statistics

    def facezoo_fid(ext):
        return statistics_distance(facezoo_extract(ext, sets[0]), facezoo_extract(ext, sets[1]))

    # --- naive: per-batch eager loop over numpy arrays, features kept, np.cov at the end
    model, size = extractor.model, extractor.image_size

    def naive_extract(images):
        feats = []
        for i in range(0, len(images), bs):
            x = tf.image.resize(tf.cast(images[i:i + bs], tf.float32), (size, size), method="bilinear",
                                antialias=True) / 127.5 - 1.0
            out = model(x)
            out = out[0] if isinstance(out, (tuple, list)) else out
            feats.append(np.asarray(out))
        return np.concatenate(feats)

    def naive_fid():
        a, b = naive_extract(sets[0]), naive_extract(sets[1])
        return frechet_distance(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))

    def seconds(fn):
        """Best of ``--repeats`` wall-clock times (the machine may be shared), and the value."""
        best, value = float("inf"), None
        for _ in range(args.repeats):
            t = time.perf_counter()
            value = fn()
            best = min(best, time.perf_counter() - t)
        return best, value

    warm = sets[0][:bs]
    facezoo_extract(extractor, warm)  # trace once
    naive_extract(warm)
    variants = [("facezoo (tf.function)", extractor)]
    if not args.no_xla:
        xla = make(True)
        facezoo_extract(xla, warm)  # compile once
        variants.append(("facezoo (tf.function + XLA)", xla))

    rows, fids = [], {}
    t_naive, _ = seconds(lambda: naive_extract(sets[0]))
    t_naive_fid, fids["naive"] = seconds(naive_fid)
    for label, ext in variants:
        t_ext, _ = seconds(lambda: facezoo_extract(ext, sets[0]))
        t_fid, fids[label] = seconds(lambda: facezoo_fid(ext))
        rows.append([label, f"{n / t_ext:.1f}", f"{t_naive / t_ext:.2f}x", f"{2 * n / t_fid:.1f}",
                     f"{t_naive_fid / t_fid:.2f}x"])
    rows.insert(0, ["naive eager per-batch loop", f"{n / t_naive:.1f}", "1.00x", f"{2 * n / t_naive_fid:.1f}",
                    "1.00x"])
    print(f"extractor: {extractor.name} ({extractor.layer}), input {size}px, {n} images per set at {res}px, "
          f"batch {bs}, {os.cpu_count()} CPU cores, GPU: {bool(tf.config.list_physical_devices('GPU'))}")
    print(table(rows, ["variant", "extraction img/s", "vs naive", "whole FID img/s (2 sets)", "vs naive"]))
    spread = max(fids.values()) - min(fids.values())
    print(f"the variants agree: max difference of the distances {spread:.3g} (value {fids['naive']:.4g}; random "
          f"weights, a timing check, not a FID)")


if __name__ == "__main__":
    main()
