"""Interpolation between latents: linear, spherical, and the 4-corner matrix of the UTKFace VAE paper."""

from __future__ import annotations

import numpy as np


def lerp(a, b, t) -> np.ndarray:
    """(1 - t) a + t b for latents a, b [D] and fractions t [T] -> [T, D]."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    t = np.asarray(t, np.float64).reshape(-1, *([1] * a.ndim))
    return ((1 - t) * a + t * b).astype(np.float32)


def slerp(a, b, t) -> np.ndarray:
    """Spherical interpolation [T, D] along the great circle from a to b, with the norm interpolated linearly
    (so unit vectors stay unit; Gaussian latents keep a typical norm where lerp would shrink it mid-way).
    Falls back to lerp for (anti)parallel vectors."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    t = np.asarray(t, np.float64).reshape(-1, *([1] * a.ndim))
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        return lerp(a, b, t.reshape(-1))
    ua, ub = a / na, b / nb
    omega = np.arccos(np.clip(np.sum(ua * ub), -1.0, 1.0))
    if np.sin(omega) < 1e-6:
        return lerp(a, b, t.reshape(-1))
    direction = (np.sin((1 - t) * omega) * ua + np.sin(t * omega) * ub) / np.sin(omega)
    return (direction * ((1 - t) * na + t * nb)).astype(np.float32)


def interpolate(a, b, steps: int, method: str = "slerp") -> np.ndarray:
    """``steps`` latents from a to b (both ends included) [steps, D]."""
    t = np.linspace(0.0, 1.0, int(steps))
    if method == "lerp":
        return lerp(a, b, t)
    if method == "slerp":
        return slerp(a, b, t)
    raise ValueError(f"interpolation method must be lerp or slerp, got {method!r}")


def corner_matrix(corners, steps: int = 7) -> np.ndarray:
    """The 4-corner interpolation matrix: corners [4, D] (top-left, top-right, bottom-left, bottom-right) ->
    latents [steps * steps, D], row-major, bilinear in between, so the four corners are the given latents."""
    c = np.asarray(corners, np.float64)
    if c.shape[0] != 4:
        raise ValueError(f"a corner matrix needs 4 corner latents, got {c.shape[0]}")
    t = np.linspace(0.0, 1.0, int(steps))
    v, u = np.meshgrid(t, t, indexing="ij")  # v: row fraction, u: column fraction
    v, u = v.reshape(-1, 1), u.reshape(-1, 1)
    flat = c.reshape(4, -1)
    out = (1 - v) * (1 - u) * flat[0] + (1 - v) * u * flat[1] + v * (1 - u) * flat[2] + v * u * flat[3]
    return out.reshape(-1, *c.shape[1:]).astype(np.float32)
