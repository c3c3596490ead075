"""Data throughput: the UTKFace folder through the tf.data pipeline (first pass and cached), synthetic face
generation, and, in the same run, DCGAN training img/s so the ratio the issue asks for is measured side by side.

    python -m bench.data_pipeline [--data-dir ../shared/data/utkface] [--image-size 64] [--batch-size 128]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def images_per_second(iterator, batches: int, batch_size: int) -> float:
    t = time.perf_counter()
    for _ in range(batches):
        next(iterator)
    return batches * batch_size / (time.perf_counter() - t)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data-dir", default=os.path.join("..", "shared", "data", "utkface"))
    p.add_argument("--image-size", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--train-steps", type=int, default=10)
    args = p.parse_args(argv)

    import keras
    import tensorflow as tf

    from bench.common import table
    from zoo.data import load_source, make_dataset
    from zoo.data.synthetic import render_faces
    from zoo.models.dcgan import DCGANDiscriminator, DCGANGenerator
    from zoo.trainers import GANTrainer

    size, batch = args.image_size, args.batch_size
    rows = []
    source = load_source("utkface", args.data_dir)
    per_epoch = len(source) // batch
    it = iter(make_dataset(source, size, batch))
    first = images_per_second(it, per_epoch, batch)  # the first epoch decodes and fills the cache
    cached = images_per_second(it, per_epoch, batch)
    render_faces(0, 1024, size, seed=0)  # compile
    t = time.perf_counter()
    n = 8192
    render_faces(0, n, size, seed=1)
    synthetic = n / (time.perf_counter() - t)

    trainer = GANTrainer(DCGANGenerator(100, size, 3, 64), DCGANDiscriminator(size, 3, 64))
    trainer.compile(g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                    d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5), jit_compile=True)
    trainer.build_all()
    data = tf.data.Dataset.from_tensors(tf.random.uniform((batch, size, size, 3), -1, 1)).repeat()
    trainer.fit(data, steps_per_epoch=2, epochs=1, verbose=0)
    t = time.perf_counter()
    trainer.fit(data, steps_per_epoch=args.train_steps, epochs=1, verbose=0)
    train = args.train_steps * batch / (time.perf_counter() - t)

    rows = [
        [f"UTKFace folder ({len(source)} JPEGs), first pass", f"{first:,.0f}", f"{first / train:.0f}x"],
        ["UTKFace, cached passes", f"{cached:,.0f}", f"{cached / train:.0f}x"],
        [f"synthetic faces, {size} px", f"{synthetic:,.0f}", f"{synthetic / train:.0f}x"],
        [f"DCGAN training (fit, XLA), batch {batch}", f"{train:,.1f}", "1x"],
    ]
    print(f"{size}x{size} px, batch {batch}")
    print(table(rows, ["stage", "img/s", "vs training"]))


if __name__ == "__main__":
    main()
