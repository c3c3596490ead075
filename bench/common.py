"""Helpers for the benchmarks: timing, the machine's measured matmul rate, the DCGAN steps and their FLOPs."""

from __future__ import annotations

import time


def timeit(fn, repeats: int = 3, warmup: int = 1) -> float:
    """Best wall-clock seconds of ``fn()`` over ``repeats`` runs after ``warmup`` runs."""
    for _ in range(warmup):
        fn()
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def matmul_rates(dtype: str = "float32", n: int = 2048, repeats: int = 5) -> tuple[float, float]:
    """This machine's measured matmul rate through TensorFlow (n x n by n x n in ``dtype``), best of ``repeats``:
    (GFLOP/s of wall-clock time, GFLOP per CPU-second of the process; the second is steadier on a shared machine)."""
    import tensorflow as tf

    a = tf.random.normal((n, n), dtype=dtype)
    b = tf.random.normal((n, n), dtype=dtype)
    f = tf.function(lambda: tf.reduce_sum(tf.cast(tf.matmul(a, b), "float32")))
    f().numpy()
    wall = cpu = float("inf")
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        f().numpy()
        wall, cpu = min(wall, time.perf_counter() - t), min(cpu, time.process_time() - c)
    return 2 * n**3 / wall / 1e9, 2 * n**3 / cpu / 1e9


def matmul_gflops(n: int = 2048, repeats: int = 5) -> float:
    """Measured float32 matmul GFLOP/s (wall-clock) of this machine through TensorFlow (n x n by n x n)."""
    return matmul_rates("float32", n, repeats)[0]


def table(rows: list[list], header: list[str]) -> str:
    """A markdown table."""
    cells = [header, ["---"] * len(header), *[[str(c) for c in r] for r in rows]]
    return "\n".join("| " + " | ".join(r) + " |" for r in cells)


def textbook_dcgan_step(g, d, batch: int, latent_dim: int = 100):
    """The textbook float32 DCGAN step on models ``g`` and ``d``: a ``tf.function`` (no XLA) ``step(real)`` ->
    (d_loss, g_loss) with one Adam(2e-4, 0.5) each, D called on the real and the fake batch, both losses from one
    forward pass. The anchor the trainers' throughput is compared with."""
    import keras
    import tensorflow as tf

    g_opt, d_opt = keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5)
    bce = keras.losses.BinaryCrossentropy(from_logits=True)

    @tf.function
    def step(real):
        z = tf.random.normal((batch, latent_dim))
        with tf.GradientTape() as gt, tf.GradientTape() as dt:
            fake = g(z, training=True)
            rl, fl = d(real, training=True), d(fake, training=True)
            d_loss = bce(tf.ones_like(rl), rl) + bce(tf.zeros_like(fl), fl)
            g_loss = bce(tf.ones_like(fl), fl)
        d_opt.apply_gradients(zip(dt.gradient(d_loss, d.trainable_variables), d.trainable_variables))
        g_opt.apply_gradients(zip(gt.gradient(g_loss, g.trainable_variables), g.trainable_variables))
        return d_loss, g_loss

    return step


def layer_flops(model, x) -> list[float]:
    """Forward FLOPs (2 x multiply-adds) per example of ``model``'s Dense/Conv/ConvTranspose layers, in call order,
    from one call on ``x`` [1, ...]."""
    import keras

    model(x)  # built first: building calls the layers too, and only one call is counted
    kinds = (keras.layers.Dense, keras.layers.Conv2D, keras.layers.Conv2DTranspose)
    layers = [layer for layer in model._flatten_layers(include_self=False) if isinstance(layer, kinds)]
    seen = []
    for layer in layers:
        def wrapped(inputs, _layer=layer, _call=layer.call, **kw):
            out = _call(inputs, **kw)
            k = _layer.kernel.shape
            if isinstance(_layer, keras.layers.Dense):
                flops = 2 * k[0] * k[1]
            else:  # a transposed conv does a conv's work per input position, a conv per output position
                hw = inputs.shape[1:3] if isinstance(_layer, keras.layers.Conv2DTranspose) else out.shape[1:3]
                flops = 2 * hw[0] * hw[1] * k[0] * k[1] * k[2] * k[3]
            seen.append(flops)
            return out
        layer.call = wrapped
    try:
        model(x)
    finally:
        for layer in layers:
            del layer.call
    return seen


def step_flops(g, d, size: int) -> dict[str, float]:
    """FLOPs per training image of the textbook step and of GANTrainer's DCGAN step, and of one forward of G and D.

    A layer's weight gradient and its input gradient each cost one forward of it; nothing needs the input gradient
    of G's first layer (z), nor that of D's first layer (the images) in the D update."""
    import tensorflow as tf

    gl, dl = layer_flops(g, tf.zeros((1, g.latent_dim))), layer_flops(d, tf.zeros((1, size, size, 3)))
    G, D, g1, d1 = sum(gl), sum(dl), gl[0], dl[0]
    d_update = 2 * D + 2 * (2 * D - d1)  # D on real and fake, forward + weight and input gradients
    g_backward = D + 2 * G - g1  # input gradients through D, weight and input gradients through G
    return {"G": G, "D": D,
            "textbook": G + d_update + g_backward,  # one G forward; g_loss reuses D(fake) of the same pass
            "trainer": G + d_update + (G + D) + g_backward}  # + the G update's fresh G and D forward
