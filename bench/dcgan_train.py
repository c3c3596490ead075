"""DCGAN training throughput: facezoo's GANTrainer (fit, XLA) against a plain tf.function step, same run.

    python -m bench.dcgan_train [--image-size 64] [--batch-size 128] [--steps 20]

Prints img/s of both, their ratio, and the GFLOP/s achieved against the machine's measured matmul rate.
FLOPs per image are counted from the layer shapes for each step (``bench.common.step_flops``): the trainer's
generator update runs a fresh G and D forward pass, about 20 % more work than the textbook step.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--image-size", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--steps", type=int, default=20)
    args = p.parse_args(argv)

    import keras
    import numpy as np
    import tensorflow as tf

    from bench.common import matmul_gflops, step_flops, table, textbook_dcgan_step
    from zoo.models.dcgan import DCGANDiscriminator, DCGANGenerator
    from zoo.trainers import GANTrainer

    size, batch, steps = args.image_size, args.batch_size, args.steps
    data = tf.data.Dataset.from_tensors(tf.random.uniform((batch, size, size, 3), -1, 1)).repeat().prefetch(2)

    def models():
        return DCGANGenerator(100, size, 3, 64), DCGANDiscriminator(size, 3, 64)

    # --- plain: the textbook tf.function step, no XLA
    g, d = models()
    plain_step = textbook_dcgan_step(g, d, batch)

    it = iter(data)
    plain_step(next(it))
    plain_step(next(it))[0].numpy()
    t = time.perf_counter()
    for _ in range(steps):
        out = plain_step(next(it))
    out[0].numpy()
    plain_ips = steps * batch / (time.perf_counter() - t)

    # --- facezoo: GANTrainer.fit with jit_compile
    g, d = models()
    trainer = GANTrainer(g, d)
    trainer.compile(g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                    d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5), jit_compile=True)
    trainer.build_all()
    trainer.fit(data, steps_per_epoch=3, epochs=1, verbose=0)  # compile
    t = time.perf_counter()
    trainer.fit(data, steps_per_epoch=steps, epochs=1, verbose=0)
    zoo_ips = steps * batch / (time.perf_counter() - t)

    flops = step_flops(g, d, size)
    peak = matmul_gflops()
    rows = []
    for name, ips, work, ratio in (("plain tf.function (no XLA)", plain_ips, "textbook", 1.0),
                                   ("facezoo GANTrainer (fit, XLA)", zoo_ips, "trainer", zoo_ips / plain_ips)):
        gflops = ips * flops[work] / 1e9
        rows.append([name, f"{ips:.1f}", f"{gflops:.1f}", f"{gflops / peak:.0%}", f"{ratio:.2f}x"])
    print(f"DCGAN {size}x{size}, batch {batch}, {steps} steps; G {flops['G'] / 1e6:.0f} MFLOP and D "
          f"{flops['D'] / 1e6:.0f} MFLOP forward per image, {flops['textbook'] / 1e9:.2f} (textbook) and "
          f"{flops['trainer'] / 1e9:.2f} (trainer) GFLOP per training image; "
          f"matmul peak measured {peak:.1f} GFLOP/s")
    print(table(rows, ["implementation", "img/s", "GFLOP/s", "of matmul peak", "speed-up"]))


if __name__ == "__main__":
    main()
