"""Attribute directions in a latent space and edits along them.

- ``mean_difference``: the mean latent of examples with the attribute minus the mean of those without (the
  DCGAN and VAE papers' attribute vectors, through an encoder);
- ``svm_direction``: InterFaceGAN (Shen et al. 2020): the unit normal of a linear SVM separating latents by a
  label, with its held-out accuracy; ``from_scores`` makes the labels from continuous scores (a classifier's
  P(female) or predicted age) by taking the extremes, as InterFaceGAN's ``train_boundary`` does;
- ``condition``: a conditional direction, the primary one with the others' components projected out;
- ``split`` / ``threshold_accuracy``: the held-out accuracy of any shipped vector (threshold fitted on the train
  part);
- ``apply``: latents moved along a direction with intensities.
"""

from __future__ import annotations

import dataclasses

import numpy as np


def _check(latents, labels):
    x = np.asarray(latents, np.float64).reshape(len(latents), -1)
    y = np.asarray(labels).reshape(-1)
    if len(x) != len(y):
        raise ValueError(f"{len(x)} latents for {len(y)} labels")
    y = y.astype(bool)
    if y.all() or not y.any():
        raise ValueError(f"an attribute direction needs examples with and without the attribute; all {len(y)} "
                         f"labels are {bool(y[0]) if len(y) else 'missing'}")
    return x, y


def mean_difference(latents, labels) -> np.ndarray:
    """mean(latents | label) - mean(latents | not label), [D] (not normalised: its length is the papers' unit
    intensity 1)."""
    x, y = _check(latents, labels)
    return (x[y].mean(0) - x[~y].mean(0)).astype(np.float32)


@dataclasses.dataclass
class Boundary:
    """A unit normal ``direction`` [D] (pointing to the positive label), the SVM's ``offset`` (the boundary is
    direction . z + offset = 0), and the accuracies on the training and held-out latents."""

    direction: np.ndarray
    offset: float
    train_accuracy: float
    heldout_accuracy: float
    num_train: int
    num_heldout: int

    def report(self) -> dict:
        return {"train_accuracy": self.train_accuracy, "heldout_accuracy": self.heldout_accuracy,
                "num_train": self.num_train, "num_heldout": self.num_heldout, "offset": self.offset}


def svm_direction(latents, labels, heldout_fraction: float = 0.3, seed: int = 0, C: float = 1.0) -> Boundary:
    """Fit ``sklearn.svm.LinearSVC`` on a stratified (1 - heldout_fraction) part of latents [N, D] with binary
    labels [N]; return its unit normal and the held-out accuracy (InterFaceGAN's split ratio is 0.7)."""
    from sklearn.svm import LinearSVC

    x_tr, x_te, y_tr, y_te = split(latents, labels, heldout_fraction, seed)
    svm = LinearSVC(C=C, max_iter=20_000, random_state=seed).fit(x_tr, y_tr)
    w = svm.coef_.reshape(-1)
    norm = float(np.linalg.norm(w))
    return Boundary((w / norm).astype(np.float32), float(svm.intercept_[0]) / norm, float(svm.score(x_tr, y_tr)),
                    float(svm.score(x_te, y_te)) if len(x_te) else float("nan"), len(x_tr), len(x_te))


def from_scores(latents, scores, chosen_fraction: float = 0.2, **kwargs) -> Boundary:
    """InterFaceGAN's boundary from continuous scores [N]: the ``chosen_fraction`` of latents with the highest
    scores are positives, as many with the lowest negatives; the middle is left out (ambiguous labels)."""
    scores = np.asarray(scores, np.float64).reshape(-1)
    k = max(2, int(len(scores) * chosen_fraction))
    if 2 * k > len(scores):
        raise ValueError(f"chosen_fraction {chosen_fraction} takes {k} positives and {k} negatives out of "
                         f"{len(scores)} latents")
    order = np.argsort(scores, kind="stable")
    idx = np.concatenate([order[:k], order[-k:]])
    labels = np.concatenate([np.zeros(k, bool), np.ones(k, bool)])
    return svm_direction(np.asarray(latents)[idx], labels, **kwargs)


def condition(primary, *others) -> np.ndarray:
    """The primary direction with the span of ``others`` projected out, rescaled to the primary's length (so that
    moving along it leaves the other attributes' linear scores unchanged, InterFaceGAN's conditional edit, and an
    intensity moves as far as along the primary: a unit normal stays unit, a mean difference keeps its length)."""
    p = np.asarray(primary, np.float64).reshape(-1)
    if not others:
        return p.astype(np.float32)
    q, _ = np.linalg.qr(np.stack([np.asarray(o, np.float64).reshape(-1) for o in others], axis=1))
    rest = p - q @ (q.T @ p)
    norm = np.linalg.norm(rest)
    if norm < 1e-8:
        raise ValueError("the primary direction lies in the span of the conditions; nothing is left to edit")
    return (rest * (np.linalg.norm(p) / norm)).astype(np.float32)


def split(latents, labels, heldout_fraction: float = 0.3, seed: int = 0):
    """The stratified ``(x_train, x_heldout, y_train, y_heldout)`` split that every direction here is scored on."""
    from sklearn.model_selection import train_test_split

    x, y = _check(latents, labels)
    return train_test_split(x, y, test_size=heldout_fraction, random_state=seed, stratify=y)


def threshold_accuracy(direction, x_train, y_train, x_heldout, y_heldout) -> dict:
    """How well the projection on ``direction`` separates the labels: the threshold that maximises the train
    part's accuracy, and the accuracies it gives on the train and held-out parts (the figure to report for a
    vector that is shipped, e.g. a mean difference)."""
    d = np.asarray(direction, np.float64).reshape(-1)
    s_tr, s_te = x_train @ d, x_heldout @ d
    order = np.argsort(s_tr, kind="stable")
    s_sorted, y_sorted = s_tr[order], np.asarray(y_train, bool)[order]
    # threshold between sorted[i-1] and sorted[i]: the first i examples are called negative, the rest positive
    correct = (np.concatenate([[0], np.cumsum(~y_sorted)]) + np.concatenate([np.cumsum(y_sorted[::-1])[::-1], [0]]))
    i = int(np.argmax(correct))
    cut = (s_sorted[max(i - 1, 0)] + s_sorted[min(i, len(s_sorted) - 1)]) / 2 if 0 < i < len(s_sorted) else (
        s_sorted[0] - 1 if i == 0 else s_sorted[-1] + 1)
    return {"threshold": float(cut), "train_accuracy": float(correct[i] / len(s_tr)),
            "heldout_accuracy": float(np.mean((s_te > cut) == np.asarray(y_heldout, bool))) if len(s_te) else
            float("nan"), "num_train": int(len(s_tr)), "num_heldout": int(len(s_te))}


def apply(latents, direction, intensities) -> np.ndarray:
    """latents [B, ...] moved along ``direction`` by each intensity: [B, len(intensities), ...]
    (row b, column j = latents[b] + intensities[j] * direction)."""
    z = np.asarray(latents, np.float32)
    d = np.asarray(direction, np.float32).reshape(z.shape[1:])
    t = np.asarray(intensities, np.float32).reshape(1, -1, *([1] * (z.ndim - 1)))
    return z[:, None] + t * d[None, None]
