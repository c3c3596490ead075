"""PCA of a latent space (after GANSpace, Härkönen et al. 2020): spectrum, eigen-direction grids, PCA sampling,
and StyleGAN layer-range edits.

The PCA itself is scikit-learn's; this module keeps what the edits need (mean, unit components, per-component
standard deviations) as plain arrays so that a direction set can store and reload it exactly.
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass
class LatentPCA:
    """``mean`` [D], ``components`` [K, D] (unit rows, by decreasing variance), ``stds`` [K] (square roots of the
    eigenvalues), ``explained_variance_ratio`` [K] (of the total variance of all D dimensions)."""

    mean: np.ndarray
    components: np.ndarray
    stds: np.ndarray
    explained_variance_ratio: np.ndarray

    @property
    def eigenvalues(self) -> np.ndarray:
        return self.stds ** 2

    def coordinates(self, latents) -> np.ndarray:
        """latents [N, D] -> coordinates [N, K] in the basis (in latent units, not standard deviations)."""
        return (np.asarray(latents, np.float64) - self.mean) @ self.components.T

    def summary(self, top: int = 20) -> dict:
        cum = np.cumsum(self.explained_variance_ratio)
        k90 = int(np.searchsorted(cum, 0.9) + 1) if cum[-1] >= 0.9 else None
        return {"eigenvalues": self.eigenvalues[:top].tolist(),
                "explained_variance_ratio": self.explained_variance_ratio[:top].tolist(),
                "cumulative_explained_variance": cum[:top].tolist(), "components_for_90_percent": k90,
                "dimension": int(self.components.shape[1]), "num_components": int(self.components.shape[0])}


def fit_pca(latents, num_components: int | None = None, seed: int = 0) -> LatentPCA:
    """PCA of latents [N, D] (``sklearn.decomposition.PCA``); ``num_components`` defaults to min(N, D)."""
    from sklearn.decomposition import PCA

    x = np.asarray(latents, np.float64).reshape(len(latents), -1)
    if x.shape[0] < 2:
        raise ValueError(f"PCA needs at least 2 latents, got {x.shape[0]}")
    pca = PCA(n_components=num_components, random_state=seed).fit(x)
    return LatentPCA(pca.mean_, pca.components_, np.sqrt(pca.explained_variance_), pca.explained_variance_ratio_)


def fit_pca_through_activations(z, activations, num_components: int, seed: int = 0) -> LatentPCA:
    """GANSpace for a GAN without a mapping: PCA of early activations [N, F] of latents z [N, D], carried back
    to z by linear regression (z ~ coordinates @ U); the rows of U, normalised, are the z directions.

    The stds are those of the latents' projections on those directions, so edits of +-k std stay in z's scale.
    """
    act = fit_pca(activations, num_components, seed)
    coords = act.coordinates(activations)
    z = np.asarray(z, np.float64)
    u, *_ = np.linalg.lstsq(coords, z - z.mean(0), rcond=None)  # [K, D]
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    stds = ((z - z.mean(0)) @ u.T).std(0)
    return LatentPCA(z.mean(0), u, stds, act.explained_variance_ratio)


def eigen_grid_latents(pca: LatentPCA, base=None, components=(0, 1, 2, 3, 4), steps: int = 7,
                       span: float = 3.0) -> np.ndarray:
    """Latents [len(components) * steps, D] for an eigen-direction grid, row-major.

    Row i moves component ``components[i]`` from -span to +span standard deviations (``steps`` odd, so that the
    middle column is the unedited latent); the other coordinates stay at ``base`` (default: the PCA mean, i.e.
    all coordinates 0).
    """
    if steps < 1 or steps % 2 == 0:
        raise ValueError(f"steps must be odd so that the middle column is the unedited latent, got {steps}")
    base = pca.mean if base is None else np.asarray(base, np.float64).reshape(-1)
    offsets = np.linspace(-span, span, steps)
    rows = [base[None] + offsets[:, None] * pca.stds[c] * pca.components[c][None] for c in components]
    return np.concatenate(rows).astype(np.float32)


def pca_sample(pca: LatentPCA, n: int, num_components: int | None = None, seed: int = 0) -> np.ndarray:
    """n latents [n, D] drawn as mean + sum_k c_k std_k v_k with c ~ N(0, 1) on the first ``num_components``."""
    k = num_components or len(pca.stds)
    c = np.random.default_rng(seed).standard_normal((int(n), k))
    return (pca.mean + (c * pca.stds[:k]) @ pca.components[:k]).astype(np.float32)


def edit_layers(ws, direction, amount, layers: tuple[int, int] | None = None) -> np.ndarray:
    """GANSpace's layer-wise edit: ws [B, num_ws, w_dim] + amount * direction on layers [start, stop) only.

    ``amount`` a scalar or [B]; ``layers`` None edits all layers.
    """
    ws = np.array(ws, np.float32, copy=True)
    start, stop = layers if layers is not None else (0, ws.shape[1])
    if not 0 <= start < stop <= ws.shape[1]:
        raise ValueError(f"layer range {start}:{stop} is outside 0:{ws.shape[1]}")
    step = np.reshape(np.asarray(amount, np.float32), (-1, 1)) * np.asarray(direction, np.float32)[None]
    ws[:, start:stop] += step[:, None, :]
    return ws
