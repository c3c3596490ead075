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
