"""Inception Score (Salimans et al. 2016): exp(E_x KL(p(y|x) || p(y))), mean and std over splits."""

from __future__ import annotations

import numpy as np
from scipy.special import xlogy


def inception_score(probabilities, splits: int = 10) -> tuple[float, float]:
    """``probabilities`` [N, K] (rows are class distributions) -> (mean, std) of the score over ``splits``
    consecutive, equal-as-possible parts. 1 for identical predictions; K for K equally used one-hot classes."""
    p = np.asarray(probabilities, np.float64)
    if p.ndim != 2:
        raise ValueError(f"probabilities must be [N, K], got shape {p.shape}")
    if splits < 1 or len(p) < splits:
        raise ValueError(f"need at least one image per split: {len(p)} images for {splits} splits")
    if (p < -1e-6).any() or not np.allclose(p.sum(axis=1), 1.0, atol=1e-3):
        raise ValueError("probabilities must be non-negative rows summing to 1 (apply softmax to logits)")
    scores = []
    for part in np.array_split(p, splits):
        marginal = part.mean(axis=0, keepdims=True)
        kl = (xlogy(part, part) - xlogy(part, marginal)).sum(axis=1).mean()
        scores.append(np.exp(kl))
    return float(np.mean(scores)), float(np.std(scores))


def as_probabilities(outputs) -> np.ndarray:
    """Rows that already are distributions pass through; anything else is treated as logits (softmax)."""
    x = np.asarray(outputs, np.float64)
    if (x >= 0).all() and np.allclose(x.sum(axis=1), 1.0, atol=1e-3):
        return x
    x = x - x.max(axis=1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=1, keepdims=True)
