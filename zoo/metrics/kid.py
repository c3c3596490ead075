"""Kernel Inception Distance (Binkowski et al. 2018): unbiased MMD^2 with the cubic polynomial kernel.

k(x, y) = (x . y / d + 1)^3. The estimate is averaged over random subsets of both sets (without replacement
inside a subset), and its standard deviation over the subsets is reported with it. Like FD, it is "KID" only
in InceptionV3 pool3 features; in another model's features it is labelled with that model's name.
"""

from __future__ import annotations

import numpy as np


def polynomial_kernel(x, y, degree: int = 3, gamma: float | None = None, coef0: float = 1.0) -> np.ndarray:
    """(gamma x . y + coef0)^degree for x [N, D], y [M, D] -> [N, M] (gamma defaults to 1 / D)."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    gamma = 1.0 / x.shape[1] if gamma is None else gamma
    base = x @ y.T
    base *= gamma
    base += coef0
    if not isinstance(degree, (int, np.integer)) or degree < 1:
        return base ** degree
    out = base.copy()
    for _ in range(int(degree) - 1):  # repeated products: several times faster than a float power
        out *= base
    return out


def mmd2_unbiased(x, y, **kernel) -> float:
    """Unbiased MMD^2 between samples x [m, D] and y [n, D] (diagonals of k(x,x) and k(y,y) excluded)."""
    m, n = len(x), len(y)
    if m < 2 or n < 2:
        raise ValueError(f"MMD needs at least 2 samples on each side, got {m} and {n}")
    kxx, kyy, kxy = polynomial_kernel(x, x, **kernel), polynomial_kernel(y, y, **kernel), polynomial_kernel(x, y, **kernel)
    return float((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
                 - 2.0 * kxy.mean())


def kernel_distance(real, fake, num_subsets: int = 100, subset_size: int = 1000, seed: int = 0) -> tuple[float, float]:
    """KID of feature sets ``real`` [N, D] and ``fake`` [M, D]: (mean, std) of the unbiased MMD^2 over
    ``num_subsets`` random subsets of ``min(subset_size, N, M)`` vectors from each side."""
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(f"KID needs feature sets [N, D] of one dimension, got {real.shape} and {fake.shape}")
    if num_subsets < 1:
        raise ValueError(f"num_subsets must be positive, got {num_subsets}")
    size = min(subset_size, len(real), len(fake))
    if size < 2:
        raise ValueError(f"KID needs at least 2 feature vectors on each side, got {len(real)} and {len(fake)}")
    rng = np.random.default_rng(seed)
    values = np.empty(num_subsets)
    for i in range(num_subsets):
        x = real[rng.choice(len(real), size, replace=False)]
        y = fake[rng.choice(len(fake), size, replace=False)]
        values[i] = mmd2_unbiased(x, y)
    return float(values.mean()), float(values.std())
