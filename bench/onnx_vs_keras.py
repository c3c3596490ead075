"""Sampling latency and throughput: ONNX Runtime against Keras (``model(z)`` inside ``tf.function``), same
weights, same run.

    python -m bench.onnx_vs_keras [--image-size 64] [--base-filters 64] [--batches 1,64] [--rounds 15]
    python -m bench.onnx_vs_keras --preset dcgan_utkface_64     # a shipped preset's trained generator

The DCGAN generator (random weights: timing does not depend on them, but its outputs are small, so parity of
the bfloat16 contender means more with ``--preset``) is exported with ``python -m export``'s writer. Every
contender's outputs are compared with Keras first (max and mean |difference|; float32 ones must agree to 1e-4,
bfloat16 ones within ``export.runtime.BFLOAT16_MAX_DIFF`` and ``BFLOAT16_MEAN_DIFF``). They are then timed in
alternation, round after round, so that all see the same machine load; all return numpy arrays and use every
core (or ``--threads``). Contenders:
Keras ``model(z)`` in ``tf.function`` (the anchor), ONNX Runtime through ``export.runtime.OnnxGenerator`` with its
defaults and with idle-thread spinning off, and, when OpenVINO is installed, ``OnnxGenerator(backend="openvino")``
in float32 and bfloat16. Prints a markdown table of the median and best latencies, throughputs and the speed-ups
over Keras, and the process CPU time per batch: on a machine shared with other work the wall-clock ratio follows
the load, while the CPU time (at ``--threads 1`` above all, where no idle thread spins) measures the work each
runtime does.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _time(fn, calls: int) -> tuple[float, float]:
    """(wall seconds, process CPU seconds) per call of ``fn``, averaged over ``calls`` back-to-back calls."""
    t, c = time.perf_counter(), time.process_time()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - t) / calls, (time.process_time() - c) / calls


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.onnx_vs_keras", description=__doc__.split("\n\n")[0])
    p.add_argument("--image-size", type=int, default=64)
    p.add_argument("--base-filters", type=int, default=64)
    p.add_argument("--latent-dim", type=int, default=100)
    p.add_argument("--preset", default="", help="time this preset's generator instead (its trained weights)")
    p.add_argument("--batches", default="1,64", help="comma-separated batch sizes (default 1,64)")
    p.add_argument("--rounds", type=int, default=15, help="alternating timing rounds per batch size")
    p.add_argument("--xla", action="store_true", help="also time Keras under tf.function(jit_compile=True)")
    p.add_argument("--threads", type=int, default=0,
                   help="intra-op threads for both TensorFlow and ONNX Runtime (default 0: each its own choice)")
    args = p.parse_args(argv)

    import keras
    import numpy as np
    import onnxruntime as ort
    import tensorflow as tf

    from bench.common import table
    from export.exporter import write_onnx
    from export.runtime import BFLOAT16_MAX_DIFF, BFLOAT16_MEAN_DIFF, OnnxGenerator
    from zoo.models.dcgan import DCGANGenerator

    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    keras.utils.set_random_seed(0)
    if args.preset:
        from zoo.registry import from_preset

        model = from_preset(args.preset)
        args.latent_dim, args.image_size, args.base_filters = model.latent_dim, model.image_size, model.base_filters
    else:
        model = DCGANGenerator(args.latent_dim, args.image_size, 3, args.base_filters)
        model.build((None, args.latent_dim))
    path = os.path.join(tempfile.mkdtemp(prefix="facezoo-bench-"), "generator.onnx")
    write_onnx(model, path, "z", (None, args.latent_dim), ["images"], 17)
    threads = args.threads or None
    default, quiet = OnnxGenerator(path, threads), OnnxGenerator(path, threads, spinning=False)
    try:
        openvino = {p: OnnxGenerator(path, threads, backend="openvino", precision=p) for p in ("float32", "bfloat16")}
    except ImportError as e:
        print(f"OpenVINO left out: {e}")
        openvino = {}

    keras_fn = tf.function(lambda z: model(z, training=False))
    contenders = {"Keras tf.function": lambda z: keras_fn(z).numpy()}
    if args.xla:
        xla_fn = tf.function(lambda z: model(z, training=False), jit_compile=True)
        contenders["Keras tf.function (XLA)"] = lambda z: xla_fn(z).numpy()
    contenders["ONNX Runtime"] = default.generate
    # Idle ONNX Runtime threads busy-wait by default; on a machine shared with other work that costs time.
    contenders["ONNX Runtime (spinning off)"] = quiet.generate
    for precision, runner in openvino.items():
        contenders[f"OpenVINO {precision}"] = runner.generate
    bf16 = {"OpenVINO bfloat16"}

    params = sum(int(np.prod(w.shape)) for w in model.weights)
    versions = f"TensorFlow {tf.__version__}, Keras {keras.__version__}, onnxruntime {ort.__version__}"
    if openvino:
        import openvino as ov

        versions += f", OpenVINO {ov.__version__}"
    print(f"{args.preset or 'DCGAN generator (random weights)'} {args.image_size}x{args.image_size}, base_filters "
          f"{args.base_filters}, latent {args.latent_dim}, {params / 1e6:.2f} M parameters; {os.cpu_count()} CPU "
          f"cores, load average {os.getloadavg()[0]:.1f} at start; {versions}", flush=True)

    rows = []
    for batch in [int(b) for b in args.batches.split(",")]:
        z = np.random.default_rng(batch).standard_normal((batch, args.latent_dim)).astype(np.float32)
        outs = {name: fn(z) for name, fn in contenders.items()}  # warm-up (tracing, compilation) and parity
        parity = []
        for name, out in outs.items():
            diff = np.abs(out - outs["Keras tf.function"])
            worst, mean = float(diff.max()), float(diff.mean())
            parity.append(f"{name}: max {worst:.2g}, mean {mean:.2g}")
            if worst > (BFLOAT16_MAX_DIFF if name in bf16 else 1e-4) or (name in bf16 and
                                                                       mean > BFLOAT16_MEAN_DIFF):
                raise SystemExit(f"{name}'s outputs differ from Keras' by up to {worst:.3g} (mean {mean:.3g}) at "
                                 f"batch {batch}: not the same model")
        one = _time(lambda: contenders["Keras tf.function"](z), 1)[0]
        calls = max(1, min(20, int(0.2 / max(one, 1e-6))))  # each timing spans >= ~0.2 s at batch 1
        times = {name: [] for name in contenders}
        for _ in range(args.rounds):
            for name, fn in contenders.items():
                times[name].append(_time(lambda: fn(z), calls))
        keras_wall = statistics.median(t for t, _ in times["Keras tf.function"])
        keras_cpu = statistics.median(c for _, c in times["Keras tf.function"])
        for name, ts in times.items():
            med, best = statistics.median(t for t, _ in ts), min(t for t, _ in ts)
            cpu = statistics.median(c for _, c in ts)
            rows.append([batch, name, f"{med * 1e3:.2f}", f"{best * 1e3:.2f}", f"{batch / med:.0f}",
                         f"{keras_wall / med:.2f}x", f"{cpu * 1e3:.2f}", f"{keras_cpu / cpu:.2f}x"])
        print(f"batch {batch}: |contender - Keras| {'; '.join(parity[1:])}; {args.rounds} rounds x {calls} calls",
              flush=True)
    print(f"load average {os.getloadavg()[0]:.1f} at the end\n")
    print(f"threads: {args.threads or 'default'}")
    print(table(rows, ["batch", "runtime", "median ms / batch", "best ms / batch", "images/s (median)",
                       "speed-up vs Keras (median wall)", "CPU ms / batch (median)", "CPU-time ratio vs Keras"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
