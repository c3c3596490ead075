"""Where a DCGAN training step's time goes: facezoo's GANTrainer step against the textbook step, per phase and op.

    python -m bench.profile_step [--image-size 64] [--batch-size 64] [--steps 4] [--rounds 3]
                                 [--precision float32,mixed_bfloat16] [--no-trace] [--fused-batch-norm]
                                 [--overhead] [--data-dir DIR] [--threads INTRA,INTER]

1. FLOPs per image of both steps, counted from the layer shapes (a weight gradient and an input gradient each
   cost one forward of their layer; the first layer's input gradient is skipped where nothing needs it).
2. Steps timed in alternating rounds, wall and process CPU seconds (``time.process_time``, all threads) per step,
   each step synchronised: the textbook step; the trainer's ``train_step`` in a ``tf.function`` (outside
   ``fit``); and its two phases alone (the discriminator update, the generator update), per precision policy.
   GFLOP per CPU-second (from 1.) is set against this machine's float32 and bfloat16 matmul rate.
   ``--fused-batch-norm`` adds both steps with Keras' batch norm swapped, in training, for TensorFlow's fused
   kernel (``FusedBatchNormV3``: the same function and gradient in one op, no float32 copies under bfloat16),
   and prints the largest difference it makes to one layer's output and gradients. The models are unchanged: it
   measures what that change would give.
3. ``tf.profiler`` trace of a few steps of each -> op time by category (convolutions, batch norm, casts, Adam...).
4. ``--overhead`` (float32): the same step through ``fit`` on an in-memory batch, with and without the training
   loop's callbacks (per-step finite check, metrics log, TensorBoard), and on UTKFace through ``make_dataset``
   from a fresh iterator (first pass: JPEG decoding runs beside the step) when ``--data-dir`` is given.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import glob
import os
import re
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

LATENT = 100
CATEGORIES = ["convolutions", "batch norm", "casts", "Adam update", "activations", "other"]


def _category(name: str, op: str) -> str:
    if "Conv2D" in op or "MatMul" in op:
        return "convolutions"
    if op == "Cast":
        return "casts"
    if re.search(r"(^|/)adam(_\d+)?/", name):
        return "Adam update"
    if "_bn" in name:
        return "batch norm"
    if op.startswith(("LeakyRelu", "Relu", "Tanh")):
        return "activations"
    return "other"


def op_times(step, n: int) -> dict[str, float]:
    """Seconds of op time by category (summed over threads) in a ``tf.profiler`` trace of ``n`` calls of
    ``step()``, divided by ``n``."""
    import tensorflow as tf
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    logdir = tempfile.mkdtemp(prefix="profile_step_")
    tf.profiler.experimental.start(logdir)
    for _ in range(n):
        step()
    tf.profiler.experimental.stop()
    space = xplane_pb2.XSpace()
    with open(glob.glob(os.path.join(logdir, "**", "*.xplane.pb"), recursive=True)[0], "rb") as f:
        space.ParseFromString(f.read())
    pattern = re.compile(r"^([^:]+):([A-Za-z_0-9]+)$")  # an op's event is "<node name>:<op type>"
    out = collections.Counter()
    for plane in space.planes:
        if plane.name != "/host:CPU":
            continue
        for line in plane.lines:
            for event in line.events:
                m = pattern.match(plane.event_metadata[event.metadata_id].name)
                if m:
                    out[_category(*m.groups())] += event.duration_ps / 1e12 / n
    return dict(out)


@contextlib.contextmanager
def fused_batch_norm():
    """Inside the block (while a step is traced), Keras' BatchNormalization computes a training call on NHWC
    input with ``FusedBatchNormV3``: the same normalisation (biased batch variance, the layer's epsilon and
    momentum) and moving-average update, its gradient from the fused kernel's own."""
    import keras
    import tensorflow as tf

    stock = keras.layers.BatchNormalization.call

    def call(self, inputs, training=None, mask=None):
        if not (training and self.trainable) or mask is not None or len(inputs.shape) != 4 or self.axis not in (-1, 3):
            return stock(self, inputs, training=training, mask=mask)
        gamma, beta = tf.convert_to_tensor(self.gamma.value), tf.convert_to_tensor(self.beta.value)
        y, mean, var, *_ = tf.raw_ops.FusedBatchNormV3(
            x=inputs, scale=gamma, offset=beta, mean=tf.zeros_like(gamma), variance=tf.zeros_like(gamma),
            epsilon=self.epsilon, exponential_avg_factor=1.0, data_format="NHWC", is_training=True)
        n = tf.cast(tf.reduce_prod(tf.shape(inputs)[:3]), var.dtype)
        var = var * (n - 1) / n  # the kernel returns the unbiased variance; Keras averages the biased one
        for moving, batch in ((self.moving_mean, mean), (self.moving_variance, var)):
            moving.assign(moving * self.momentum + tf.stop_gradient(batch) * (1.0 - self.momentum))
        return tf.cast(y, self.compute_dtype)

    keras.layers.BatchNormalization.call = call
    try:
        yield
    finally:
        keras.layers.BatchNormalization.call = stock


def fused_difference() -> tuple[float, float]:
    """(output, gradient) largest |difference| between the stock and the fused batch norm of one layer in training
    on a float32 batch [64, 16, 16, 128], relative to the largest magnitude (gradients: of the input, gamma, beta)."""
    import keras
    import tensorflow as tf

    layer = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5)
    x = tf.random.stateless_normal((64, 16, 16, 128), seed=(1, 2)) * 3 + 1
    layer.build(x.shape)

    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=True)
            loss = tf.reduce_sum(y * tf.sin(y))
        return y, tape.gradient(loss, [x, layer.gamma, layer.beta])

    stock = tf.function(step)(x)
    with fused_batch_norm():
        fused = tf.function(step)(x)

    def rel(a, b):
        return float(tf.reduce_max(tf.abs(a - b)) / tf.reduce_max(tf.abs(a)))
    return rel(stock[0], fused[0]), max(rel(a, b) for a, b in zip(stock[1], fused[1]))


def build(policy: str, size: int, batch: int):
    """(trainer, textbook step) on fresh DCGAN models built under ``policy``, both with Adam(2e-4, 0.5)."""
    import keras

    from bench.common import textbook_dcgan_step
    from zoo.models.dcgan import DCGANDiscriminator, DCGANGenerator
    from zoo.trainers import GANTrainer
    from zoo.training.setup import precision_policy

    with precision_policy(policy):
        trainer = GANTrainer(DCGANGenerator(LATENT, size, 3, 64), DCGANDiscriminator(size, 3, 64))
        trainer.compile(g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                        d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
        trainer.build_all()
        textbook = textbook_dcgan_step(DCGANGenerator(LATENT, size, 3, 64), DCGANDiscriminator(size, 3, 64), batch)
    return trainer, textbook


def alternate(variants: dict, steps: int, rounds: int) -> dict[str, tuple[float, float]]:
    """{name: run(steps, stamp)} -> {name: (median wall s, median CPU s) per step}. ``run`` does ``steps`` steps
    and calls ``stamp()`` after each (synchronised); round r runs every variant once, in a rotated order."""
    names = list(variants)
    wall, cpu = {n: [] for n in names}, {n: [] for n in names}
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            stamps = []
            variants[name](steps, lambda: stamps.append((time.perf_counter(), time.process_time())))
            for (w0, c0), (w1, c1) in zip(stamps, stamps[1:]):
                wall[name].append(w1 - w0)
                cpu[name].append(c1 - c0)
    return {n: (statistics.median(wall[n]), statistics.median(cpu[n])) for n in names}


def looped(fn, real):
    """``run(steps, stamp)`` calling the tf.function ``fn(real)`` ``steps`` + 1 times, synchronised each time."""
    import tensorflow as tf

    def run(steps, stamp):
        for _ in range(steps + 1):
            tf.nest.flatten(fn(real))[0].numpy()
            stamp()
    return run


def fitted(trainer, data, callbacks=()):
    """``run(steps, stamp)``: ``trainer.fit`` for ``steps`` + 1 steps, stamped at each batch end."""
    import keras

    def run(steps, stamp):
        timer = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: stamp())
        trainer.fit(data, epochs=1, steps_per_epoch=steps + 1, verbose=0, callbacks=[*callbacks, timer])
    return run


def loop_callbacks(trainer, run_dir: str):
    """The callbacks ``zoo.training.loop.train`` gives every run that act on each step (checkpoints and sample
    grids act at epoch ends or every 500 steps and are left out)."""
    import keras

    from zoo.training.callbacks import MetricsLog, StepCounter, TrainState

    state = TrainState(steps_per_epoch=10**6, total_steps=10**9)
    return [StepCounter(state, trainer), MetricsLog(state, os.path.join(run_dir, "metrics.csv"), every_steps=10),
            keras.callbacks.TensorBoard(os.path.join(run_dir, "tb"), update_freq=10, write_graph=False,
                                        profile_batch=0)]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--image-size", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--steps", type=int, default=4, help="timed steps per variant per round")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--precision", default="float32,mixed_bfloat16")
    p.add_argument("--no-trace", action="store_true", help="skip the tf.profiler op breakdown")
    p.add_argument("--trace-steps", type=int, default=3)
    p.add_argument("--fused-batch-norm", action="store_true", help="also time both steps with a fused batch norm")
    p.add_argument("--overhead", action="store_true", help="also time fit, the loop's callbacks and the pipeline")
    p.add_argument("--data-dir", default=None, help="UTKFace folder for the --overhead pipeline row")
    p.add_argument("--threads", default=None, metavar="INTRA,INTER",
                   help="TensorFlow's intra-op and inter-op thread counts (default: TensorFlow's, 0 = all cores)")
    args = p.parse_args(argv)

    import tensorflow as tf

    if args.threads:
        intra, inter = (int(n) for n in args.threads.split(","))
        tf.config.threading.set_intra_op_parallelism_threads(intra)
        tf.config.threading.set_inter_op_parallelism_threads(inter)

    from bench.common import matmul_rates, step_flops, table

    size, batch = args.image_size, args.batch_size
    real = tf.random.uniform((batch, size, size, 3), -1, 1)
    print(f"DCGAN {size}x{size}, batch {batch}; {args.steps} steps x {args.rounds} alternating rounds per variant; "
          f"load average at start {' '.join(f'{x:.1f}' for x in os.getloadavg())}; "
          f"intra/inter-op threads {tf.config.threading.get_intra_op_parallelism_threads()}/"
          f"{tf.config.threading.get_inter_op_parallelism_threads()} (0 = all {os.cpu_count()} cores)")

    variants, traced, work, fz = {}, {}, {}, None
    for policy in args.precision.split(","):
        short = "bf16" if policy == "mixed_bfloat16" else policy
        for fused in (False, True) if args.fused_batch_norm else (False,):
            trainer, textbook = build(policy, size, batch)
            fz = fz or step_flops(trainer.generator, trainer.discriminator, size)
            tag = f"{short}, fused BN" if fused else short
            fns = {f"textbook step, {tag}": (tf.function(lambda x, s=textbook: s(x)), "textbook"),
                   f"trainer step, {tag}": (tf.function(trainer.train_step), "trainer")}
            if not fused:
                fns[f"  its D update, {tag}"] = (tf.function(trainer.discriminator_step), None)
                fns[f"  its G update, {tag}"] = (tf.function(trainer.generator_step), None)
            with fused_batch_norm() if fused else contextlib.nullcontext():
                for fn, _ in fns.values():
                    fn(real)  # traced here, with the batch norm of this variant
            for name, (fn, kind) in fns.items():
                variants[name], work[name] = looped(fn, real), kind
                if kind and not fused:
                    traced[name] = lambda fn=fn: tf.nest.flatten(fn(real))[0].numpy()
    if args.overhead:
        trainer, _ = build("float32", size, batch)
        data = tf.data.Dataset.from_tensors(real).repeat().prefetch(2)
        fit_variants = {"train_step loop, float32 (baseline of the fit rows)": looped(tf.function(trainer.train_step),
                                                                                     real),
                        "fit, in-memory batch, no callbacks": fitted(trainer, data),
                        "fit, in-memory batch, loop callbacks": fitted(
                            trainer, data, loop_callbacks(trainer, tempfile.mkdtemp(prefix="profile_step_")))}
        if args.data_dir:
            from zoo.data import load_source, make_dataset

            source = load_source("utkface", args.data_dir)
            fit_variants["fit, UTKFace first pass, loop callbacks"] = fitted(
                trainer, make_dataset(source, size, batch), loop_callbacks(trainer, tempfile.mkdtemp()))
        for name, run in fit_variants.items():
            run(1, lambda: None)  # trace
            variants[name], work[name] = run, "trainer"

    timed = alternate(variants, args.steps, args.rounds)
    rates = {dtype: matmul_rates(dtype) for dtype in ("float32", "bfloat16")}
    anchor = timed["textbook step, float32"] if "textbook step, float32" in timed else None
    rows = []
    for name, (w, c) in timed.items():
        whole = work[name] is not None
        rows.append([name, f"{w * 1e3:.0f}", f"{c * 1e3:.0f}", f"{batch / w:.1f}",
                     f"{anchor[0] / w:.2f}x" if anchor and whole else "",
                     f"{anchor[1] / c:.2f}x" if anchor and whole else "",
                     f"{batch * fz[work[name]] / c / 1e9:.0f}" if whole else ""])
    print(f"\nmedian per step over {args.rounds * args.steps} steps (each variant: {args.rounds} rounds of "
          f"{args.steps}); load average at end {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(table(rows, ["variant", "wall ms", "CPU ms", "img/s (wall)", "vs textbook float32, wall",
                       "vs textbook float32, CPU", "GFLOP per CPU-s"]))
    print(f"\nforward GFLOP per image: G {fz['G'] / 1e9:.3f}, D {fz['D'] / 1e9:.3f}; per training image: textbook "
          f"{fz['textbook'] / 1e9:.2f}, trainer {fz['trainer'] / 1e9:.2f} (textbook / trainer = "
          f"{fz['textbook'] / fz['trainer']:.2f}: the rate ratio the extra forward passes alone explain)")
    print("matmul (2048^2) GFLOP per CPU-second: " + ", ".join(f"{k} {v[1]:.0f} (wall, best: {v[0]:.0f} GFLOP/s)"
                                                              for k, v in rates.items()))
    if args.fused_batch_norm:
        out, grad = fused_difference()
        print(f"fused against stock batch norm, one layer in float32, largest difference relative to the largest "
              f"magnitude: output {out:.1e}, gradients {grad:.1e}")

    if not args.no_trace:
        rows = []
        for name, step in traced.items():
            step()
            ops = op_times(step, args.trace_steps)
            total = sum(ops.values())
            rows.append([name, f"{total * 1e3:.0f}",
                         *[f"{ops.get(c, 0) * 1e3:.0f} ({ops.get(c, 0) / total:.0%})" for c in CATEGORIES]])
        print(f"\nop time per step from a tf.profiler trace of {args.trace_steps} steps (ms, summed over threads)")
        print(table(rows, ["step", "all ops", *CATEGORIES]))


if __name__ == "__main__":
    main()
