"""Frechet distance (FID when the features are InceptionV3 pool3), streaming float64 statistics, stats cache.

The statistics of a feature set are accumulated batch by batch in float64 (Chan et al.'s pairwise update of
mean and centred sums of squares), so memory is O(D^2) whatever the number of images and the result equals the
one-shot ``np.mean`` / ``np.cov`` up to rounding. Reference statistics are cached as ``.npz`` with their
protocol (dataset, split, resolution, count, extractor, resize method...) and recomputed when it differs.
"""

from __future__ import annotations

import json
import logging
import os
import warnings

import numpy as np

from zoo.utils.io import atomic_path

log = logging.getLogger(__name__)

CACHE_FORMAT = 1


class FeatureStatistics:
    """Running mean and covariance of features [N, D] in float64, updated batch by batch."""

    def __init__(self, dim: int | None = None):
        self.count = 0
        self.dim = dim
        self._mean = None if dim is None else np.zeros(dim, np.float64)
        self._m2 = None if dim is None else np.zeros((dim, dim), np.float64)

    def update(self, features) -> "FeatureStatistics":
        """Add a batch of features [B, D]."""
        x = np.asarray(features, np.float64)
        if x.ndim != 2:
            raise ValueError(f"features must be [B, D], got shape {x.shape}")
        if self.dim is None:
            self.__init__(x.shape[1])
        if x.shape[1] != self.dim:
            raise ValueError(f"features have {x.shape[1]} dimensions, the statistics {self.dim}")
        b = x.shape[0]
        if b == 0:
            return self
        mean_b = x.mean(axis=0)
        centred = x - mean_b
        m2_b = centred.T @ centred
        n = self.count + b
        delta = mean_b - self._mean
        self._m2 += m2_b + np.outer(delta, delta) * (self.count * b / n)
        self._mean += delta * (b / n)
        self.count = n
        return self

    @property
    def mean(self) -> np.ndarray:
        self._check()
        return self._mean.copy()

    @property
    def covariance(self) -> np.ndarray:
        """Unbiased covariance [D, D] (as ``np.cov(x, rowvar=False)``)."""
        self._check()
        if self.count < 2:
            raise ValueError(f"a covariance needs at least 2 feature vectors, got {self.count}")
        return self._m2 / (self.count - 1)

    def _check(self):
        if not self.count:
            raise ValueError("no features were added to these statistics")

    @classmethod
    def from_moments(cls, mean, covariance, count: int) -> "FeatureStatistics":
        s = cls(len(mean))
        s._mean = np.asarray(mean, np.float64).copy()
        s._m2 = np.asarray(covariance, np.float64) * (count - 1)
        s.count = int(count)
        return s


def frechet_distance(mu1, sigma1, mu2, sigma2, eps: float = 1e-6, max_imaginary: float = 1e-3) -> float:
    """||mu1 - mu2||^2 + Tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^(1/2)) between two Gaussians.

    ``scipy.linalg.sqrtm`` of the product; when it is singular (non-finite root) ``eps`` is added to both
    diagonals; a tiny imaginary part from rounding is dropped, one whose diagonal exceeds ``max_imaginary`` is an
    error. A result below zero from rounding (identical sets) is returned as 0.
    """
    from scipy import linalg

    mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    sigma1, sigma2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != (mu1.size, mu1.size):
        raise ValueError(f"mismatched statistics: means {mu1.shape} and {mu2.shape}, covariances {sigma1.shape} and "
                         f"{sigma2.shape}")
    diff = mu1 - mu2
    with warnings.catch_warnings(record=True) as caught:  # scipy warns on a singular product; handled below
        warnings.simplefilter("always", linalg.LinAlgWarning)
        covmean = linalg.sqrtm(sigma1 @ sigma2)
    if caught:
        log.info("Frechet distance: %s (fewer images than feature dimensions?)", caught[0].message)
    if not np.isfinite(covmean).all():
        log.warning("Frechet distance: singular covariance product; adding %g to the diagonals", eps)
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    if np.iscomplexobj(covmean):
        imaginary = np.max(np.abs(np.diagonal(covmean).imag))
        if imaginary > max_imaginary:
            raise ValueError(f"Frechet distance: the matrix square root has an imaginary component {imaginary:.3g} "
                             f"(> {max_imaginary}); the covariances are badly conditioned (too few images for the "
                             f"feature dimension?)")
        covmean = covmean.real
    value = float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean))
    return max(value, 0.0)


def statistics_distance(a: FeatureStatistics, b: FeatureStatistics) -> float:
    """Frechet distance between two ``FeatureStatistics``."""
    return frechet_distance(a.mean, a.covariance, b.mean, b.covariance)


# -- the reference-statistics cache ---------------------------------------------------------------------------

def save_statistics(path: str, stats: FeatureStatistics, protocol: dict, features=None) -> None:
    """Write ``stats`` (and optionally the features [N, D] for KID) with ``protocol`` to ``path`` (.npz), atomically."""
    arrays = {"mean": stats.mean, "covariance": stats.covariance, "count": np.int64(stats.count),
              "protocol": np.array(json.dumps({"cache_format": CACHE_FORMAT, **protocol}, sort_keys=True))}
    if features is not None:
        arrays["features"] = np.asarray(features, np.float32)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)


def load_statistics(path: str, protocol: dict | None = None, need_features: bool = False):
    """``(stats, features or None, stored protocol)`` from a cache file, or None when the file is absent, its
    protocol differs from ``protocol`` (the difference is logged) or it lacks the features asked for."""
    if not os.path.isfile(path):
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            stored = json.loads(str(data["protocol"]))
            stats = FeatureStatistics.from_moments(data["mean"], data["covariance"], int(data["count"]))
            features = data["features"] if "features" in data.files else None
    except (OSError, ValueError, KeyError) as e:
        log.warning("ignoring unreadable statistics cache %s: %s", path, e)
        return None
    if protocol is not None:
        wanted = {"cache_format": CACHE_FORMAT, **json.loads(json.dumps(protocol))}
        if stored != wanted:
            changed = sorted(k for k in set(stored) | set(wanted) if stored.get(k) != wanted.get(k))
            log.info("statistics cache %s was made with another protocol (%s differ); recomputing", path,
                     ", ".join(f"{k}: {stored.get(k)!r} -> {wanted.get(k)!r}" for k in changed))
            return None
    if need_features and features is None:
        log.info("statistics cache %s has no features (needed for KID); recomputing", path)
        return None
    stored.pop("cache_format", None)
    return stats, features, stored


def cached_statistics(path: str | None, protocol: dict, compute, need_features: bool = False):
    """``(stats, features, reused)``: the cache at ``path`` when its protocol equals ``protocol``, else
    ``compute()`` -> ``(stats, features)`` written to ``path``."""
    if path:
        hit = load_statistics(path, protocol, need_features)
        if hit is not None:
            return hit[0], hit[1], True
    stats, features = compute()
    if path:
        save_statistics(path, stats, protocol, features if need_features else None)
    return stats, features, False
