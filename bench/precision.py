"""Training throughput by precision policy and XLA, per family, against the textbook float32 step; same run.

    python -m bench.precision [--family dcgan,vae,wgan_gp,vae_gan] [--image-size 64] [--batch-size 64] [--steps 8]

For each family, every variant (float32 / mixed_bfloat16, each with and without XLA) is built once, then the
variants are timed in alternating rounds (round r runs every variant once, in a rotated order), so a change in
the machine's load hits them all alike. The anchor is the textbook float32 ``tf.function`` step without XLA on
the same model classes (DCGAN only: one discriminator call on real, one on fake, both losses from one forward
pass). Prints each variant's median img/s over the rounds, in wall-clock time and per CPU-second of the process
(``time.process_time``, all threads: steadier when the machine is shared), and its ratios to the family's float32
trainer and to the anchor.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

VARIANTS = [("float32", False), ("float32", True), ("mixed_bfloat16", False), ("mixed_bfloat16", True)]


def _build(family: str, policy: str, xla: bool, size: int):
    import keras

    keras.mixed_precision.set_global_policy(policy)
    try:
        if family == "dcgan":
            from zoo.models.dcgan import DCGANDiscriminator, DCGANGenerator
            from zoo.trainers import GANTrainer

            trainer = GANTrainer(DCGANGenerator(100, size, 3, 64), DCGANDiscriminator(size, 3, 64))
            trainer.compile(g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                            d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5), jit_compile=xla)
        elif family == "vae":
            from zoo.models.vae import DFCVAEDecoder, DFCVAEEncoder
            from zoo.trainers import VAETrainer

            trainer = VAETrainer(DFCVAEEncoder(size, 3, 100), DFCVAEDecoder(100, size, 3))
            trainer.compile(encoder_optimizer=keras.optimizers.Adam(5e-4),
                            decoder_optimizer=keras.optimizers.Adam(5e-4), jit_compile=xla)
        elif family in ("wgan_gp", "vae_gan"):  # the recipe's own models, optimizers and loss settings
            import importlib

            recipe = importlib.import_module(f"recipes.celeba_{family}")
            trainer = recipe.build(recipe.Config(image_size=size, jit_compile=xla))
        else:
            raise ValueError(f"unknown family {family!r}; expected dcgan, vae, wgan_gp or vae_gan")
        trainer.build_all()
    finally:
        keras.mixed_precision.set_global_policy("float32")
    return trainer


def _anchor_step(size: int, batch: int):
    """The textbook float32 DCGAN step (tf.function, no XLA) as a zero-argument callable that trains once."""
    import tensorflow as tf

    from bench.common import textbook_dcgan_step
    from zoo.models.dcgan import DCGANDiscriminator, DCGANGenerator

    step = textbook_dcgan_step(DCGANGenerator(100, size, 3, 64), DCGANDiscriminator(size, 3, 64), batch)
    real = tf.random.uniform((batch, size, size, 3), -1, 1)
    return lambda: step(real)[0]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--family", default="dcgan,vae")
    p.add_argument("--image-size", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args(argv)

    import numpy as np
    import tensorflow as tf

    from bench.common import table

    size, batch, steps = args.image_size, args.batch_size, args.steps

    def data_for(trainer):  # a WGAN step takes n_critic real batches (img/s below counts the generator's batch)
        k = int(getattr(trainer, "real_batches_per_step", 1))
        return tf.data.Dataset.from_tensors(tf.random.uniform((k * batch, size, size, 3), -1, 1)).repeat().prefetch(2)
    print(f"{size}x{size}, batch {batch}, {steps} steps per timing, {args.rounds} alternating rounds; "
          f"{os.cpu_count()} CPU cores")
    for family in args.family.split(","):
        timed = {}
        for policy, xla in VARIANTS:
            trainer = _build(family, policy, xla, size)
            data = data_for(trainer)
            trainer.fit(data, steps_per_epoch=2, epochs=1, verbose=0)  # trace / compile

            def run(trainer=trainer, data=data):
                trainer.fit(data, steps_per_epoch=steps, epochs=1, verbose=0)

            timed[f"{policy}{', XLA' if xla else ''}"] = run
        if family == "dcgan":
            step = _anchor_step(size, batch)
            step().numpy()

            def anchor(step=step):
                for _ in range(steps):
                    out = step()
                out.numpy()

            timed["textbook float32 tf.function"] = anchor
        wall, cpu = {name: [] for name in timed}, {name: [] for name in timed}
        names = list(timed)
        for r in range(args.rounds):
            for name in names[r % len(names):] + names[:r % len(names)]:
                t, c = time.perf_counter(), time.process_time()
                timed[name]()
                wall[name].append(steps * batch / (time.perf_counter() - t))
                cpu[name].append(steps * batch / (time.process_time() - c))
        rows = []
        anchor = "textbook float32 tf.function"
        for name in names:
            w, c = float(np.median(wall[name])), float(np.median(cpu[name]))
            ratios = [f"{w / np.median(wall[ref]):.2f}x / {c / np.median(cpu[ref]):.2f}x" if ref in timed else "-"
                      for ref in ("float32", anchor)]
            rows.append([name, f"{w:.1f}", f"{c:.1f}", *ratios])
        print(f"\n{family}; load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        print(table(rows, ["variant", "img/s (wall)", "img per CPU-s", "vs float32 trainer (wall / CPU)",
                           "vs textbook step (wall / CPU)"]))


if __name__ == "__main__":
    main()
