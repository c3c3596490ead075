"""Restoration with a VAE (the UTKFace VAE paper): damage images, reconstruct them through the VAE's posterior
mean, and compare with mean and median filters by PSNR / SSIM / MSE against the originals. A diffusion model
restores by SDEdit instead (noise the damaged image to a diffusion time, denoise it back), scored the same way."""

from __future__ import annotations

import numpy as np

from zoo.latent.models import Generator, encode, load
from zoo.metrics.reconstruction import reconstruction_metrics

DAMAGES = ("noise", "erase")


def add_noise(images, std: float = 0.2, seed: int = 0) -> np.ndarray:
    """images [B, H, W, C] in [-1, 1] + N(0, std^2) per pixel (std on the [-1, 1] scale), clipped to [-1, 1]."""
    x = np.asarray(images, np.float32)
    noise = np.random.default_rng(seed).normal(0.0, std, x.shape).astype(np.float32)
    return np.clip(x + noise, -1.0, 1.0)


def erase_blocks(images, blocks: int = 2, size: float = 0.25, value: float = 0.0, seed: int = 0) -> np.ndarray:
    """``blocks`` squares of side ``size`` x the image side per image, at random places, set to ``value``."""
    x = np.array(images, np.float32, copy=True)
    rng = np.random.default_rng(seed)
    h, w = x.shape[1:3]
    s = max(1, int(round(size * min(h, w))))
    for i in range(len(x)):
        for _ in range(blocks):
            r, c = rng.integers(0, h - s + 1), rng.integers(0, w - s + 1)
            x[i, r:r + s, c:c + s] = value
    return x


def damage(images, kind: str, seed: int = 0, **kwargs) -> np.ndarray:
    if kind == "noise":
        return add_noise(images, seed=seed, **kwargs)
    if kind == "erase":
        return erase_blocks(images, seed=seed, **kwargs)
    raise ValueError(f"damage must be one of {DAMAGES}, got {kind!r}")


def mean_filter(images, size: int = 3) -> np.ndarray:
    """Per-channel box filter of ``size`` x ``size`` (reflected borders)."""
    from scipy.ndimage import uniform_filter

    return uniform_filter(np.asarray(images, np.float32), size=(1, size, size, 1), mode="reflect")


def median_filter(images, size: int = 3) -> np.ndarray:
    """Per-channel median filter of ``size`` x ``size`` (reflected borders)."""
    from scipy.ndimage import median_filter as med

    return med(np.asarray(images, np.float32), size=(1, size, size, 1), mode="reflect")


def vae_reconstruct(encoder, decoder, images, batch_size: int = 64) -> np.ndarray:
    """Decoder(encoder mean(images)): images [B, H, W, C] in [-1, 1] -> reconstructions of the same shape."""
    return Generator(decoder, batch_size=batch_size)(encode(encoder, images, batch_size))


def sdedit_restore(sampler, images, strength: float = 0.5, seed: int = 0, batch_size: int = 64) -> np.ndarray:
    """A diffusion model's SDEdit (``DDIMSampler.restore``): images [B, S, S, C] in [-1, 1] at the sampler's size
    -> restored images of the same shape. ``strength`` in (0, 1]: the diffusion time the images are noised to
    (higher repairs more, keeps less); batch i of ``batch_size`` images draws its noise from seed ``seed + i``."""
    sampler = load(sampler)
    x = np.asarray(images, np.float32)
    return np.concatenate([np.asarray(sampler.restore(x[i:i + batch_size], float(strength), seed=seed + i))
                           for i in range(0, len(x), batch_size)]).astype(np.float32)


def sdedit_restorers(sampler, strengths=(0.5,), seed: int = 0) -> dict:
    """``restoration_table``'s methods for a diffusion model: ``sdedit`` (one strength) or ``sdedit <strength>``
    (several, each its own row)."""
    name = (lambda s: "sdedit") if len(strengths) == 1 else (lambda s: f"sdedit {s:g}")
    return {name(s): (lambda x, s=float(s): sdedit_restore(sampler, x, s, seed)) for s in strengths}


def default_damages(noise_stds=(0.2,), blocks: int = 2, size: float = 0.25) -> dict:
    """name -> (kind, keyword arguments): Gaussian noise at each std (on [-1, 1]) and erased blocks."""
    out = {(f"noise {s:g}" if len(noise_stds) > 1 else "noise"): ("noise", {"std": float(s)}) for s in noise_stds}
    out["erase"] = ("erase", {"blocks": blocks, "size": size})
    return out


def restoration_table(images, encoder=None, decoder=None, damages=None, filter_size: int = 3, seed: int = 0,
                      restorers: dict | None = None) -> tuple:
    """For each damage (``default_damages()`` unless given): the damaged images, mean- and median-filtered ones
    and each restorer's output on the damaged images, scored against the originals; also each restorer's output
    on the clean images. ``restorers``: method name -> function of images [B, H, W, C] in [-1, 1]; default
    ``{"vae": the reconstruction through encoder then decoder}`` (``sdedit_restorers`` for a diffusion model).

    Returns ``(table, images_by_row)``: table[damage][method] = {"psnr"|"ssim"|"mse": {"mean", "std"}};
    images_by_row maps "<damage>/<method>" to the image batch (for the figure).
    """
    images = np.asarray(images, np.float32)
    if restorers is None:
        restorers = {"vae": lambda x: vae_reconstruct(encoder, decoder, x)}
    table, rows = {"clean": {}}, {"original": images}
    for m, fn in restorers.items():
        rows[f"clean/{m}"] = fn(images)
        table["clean"][m] = reconstruction_metrics(images, rows[f"clean/{m}"])
    for name, (kind, kwargs) in (damages or default_damages()).items():
        bad = damage(images, kind, seed=seed, **kwargs)
        outs = {"damaged": bad, "mean_filter": mean_filter(bad, filter_size),
                "median_filter": median_filter(bad, filter_size), **{m: fn(bad) for m, fn in restorers.items()}}
        table[name] = {m: reconstruction_metrics(images, x) for m, x in outs.items()}
        rows.update({f"{name}/{m}": x for m, x in outs.items()})
    return table, rows


def format_table(table: dict) -> str:
    """A markdown table: one row per (damage, method), PSNR (dB), SSIM and MSE means."""
    lines = ["| damage | method | PSNR (dB) | SSIM | MSE |", "|---|---|---|---|---|"]
    for kind, methods in table.items():
        for m, s in methods.items():
            ssim = f"{s['ssim']['mean']:.3f}" if "ssim" in s else "-"
            lines.append(f"| {kind} | {m} | {s['psnr']['mean']:.2f} | {ssim} | {s['mse']['mean']:.4f} |")
    return "\n".join(lines)
