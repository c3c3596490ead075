"""Improved precision and recall (Kynkaanniemi et al. 2019), as stylegan2-ada-pytorch computes it.

Each set's manifold is the union of balls around its feature vectors, each ball reaching the vector's k-th nearest
neighbour in its own set (k = 3). Precision is the share of generated vectors inside the real manifold (are the
fakes realistic?), recall the share of real vectors inside the generated manifold (is the variety covered?).
Unlike FD and KID they tell a sharp model that covers few faces from a blurry one that covers many. In the space of
whatever extractor measures them: report them labelled with it, as the distances are."""

from __future__ import annotations

import numpy as np

NEIGHBOURHOOD = 3  # k of the references (stylegan2-ada's nhood_size)


def _squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.maximum(d, 0.0)


def kth_neighbour_radii(features, k: int = NEIGHBOURHOOD, batch: int = 1024) -> np.ndarray:
    """Squared distance of each vector to its k-th nearest other vector of the same set."""
    x = np.asarray(features, np.float64)
    if len(x) <= k:
        raise ValueError(f"precision/recall with k = {k} needs more than {k} vectors per set, got {len(x)}")
    return np.concatenate([np.partition(_squared_distances(x[i:i + batch], x), k, axis=1)[:, k]
                           for i in range(0, len(x), batch)])  # index 0 is the vector itself


def coverage(probe, reference, radii, batch: int = 1024) -> float:
    """Share of ``probe`` vectors inside at least one ball (centre ``reference[j]``, squared radius ``radii[j]``)."""
    p, r = np.asarray(probe, np.float64), np.asarray(reference, np.float64)
    inside = [(_squared_distances(p[i:i + batch], r) <= radii[None, :]).any(axis=1) for i in range(0, len(p), batch)]
    return float(np.concatenate(inside).mean())


def precision_recall(real, fake, k: int = NEIGHBOURHOOD) -> tuple[float, float]:
    """(precision, recall) of ``fake`` [N, D] against ``real`` [M, D] feature vectors."""
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(f"precision/recall needs two [N, D] feature sets of one D, got {real.shape} and {fake.shape}")
    return (coverage(fake, real, kth_neighbour_radii(real, k)),
            coverage(real, fake, kth_neighbour_radii(fake, k)))
