"""Helpers for the benchmarks: timing and the machine's measured matmul rate."""

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


def matmul_gflops(n: int = 2048, repeats: int = 5) -> float:
    """Measured float32 matmul GFLOP/s of this machine through TensorFlow (n x n by n x n)."""
    import tensorflow as tf

    a = tf.random.normal((n, n))
    b = tf.random.normal((n, n))
    f = tf.function(lambda: tf.reduce_sum(tf.matmul(a, b)))
    seconds = timeit(lambda: f().numpy(), repeats)
    return 2 * n**3 / seconds / 1e9


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
