"""A thin adapter from the demo to ``zoo.latent``: a preset's edit space, its PCA and attribute directions, the
latent of a seed or of an uploaded photo (VAE encoding or GAN projection), edits and style mixing.

Latents are float32 [1, D] in the edit space ("z" for a z-only generator, "w" for StyleGAN; "w+" [1, num_ws, D]
after a layer-range edit). The direction set shipped in a preset (``zoo.latent.directions_of``) is used when
there is one; otherwise the PCA is fitted here once per preset (GANSpace through the first layer's activations
for a z-only GAN, PCA of sampled w for StyleGAN) and there are no attribute directions.
"""

from __future__ import annotations

import functools

import numpy as np

from demo import core
from demo.diffusion import is_diffusion

PCA_SAMPLES = 2000
PCA_COMPONENTS = 16
PROJECTION_CLASSIFIER = "classifier_gender_utkface_64_colour"  # its trunk is the perceptual distance


@functools.lru_cache(maxsize=16)
def shipped_directions(preset: str):
    """The preset's DirectionSet, or None when it ships none."""
    from zoo.latent import directions_of
    from zoo.latent.models import LatentError

    try:
        return directions_of(preset, core.model(preset))
    except LatentError as e:
        if "ships no direction set" in str(e):
            return None
        raise


def space(preset: str) -> str:
    ds = shipped_directions(preset)
    if ds is not None:
        return ds.space
    return "w" if core.is_stylegan(core.model(preset)) else "z"


def generator(preset: str, space_name: str | None = None):
    """``zoo.latent.models.Generator`` of the preset in ``space_name`` (default: its edit space)."""
    from zoo.latent.models import Generator

    return Generator(core.model(preset), space_name or space(preset))


@functools.lru_cache(maxsize=16)
def pca(preset: str):
    """``(LatentPCA or None, how it was found)`` for the preset's edit space."""
    from zoo.latent import pca as pca_lib

    ds = shipped_directions(preset)
    if ds is not None and ds.pca is not None:
        return ds.pca, f"PCA shipped with the preset ({ds.pca_info.get('source', ds.space)})"
    gen = generator(preset)
    if is_diffusion(gen.model):
        return None, "no PCA: a diffusion model's z is its i.i.d. N(0, I) starting noise, with no learned directions"
    k = min(PCA_COMPONENTS, gen.latent_dim)
    lat = gen.sample_latents(PCA_SAMPLES, seed=0)
    if gen.space == "w":
        return pca_lib.fit_pca(lat, k), f"PCA of {PCA_SAMPLES} sampled w"
    if hasattr(gen.model, "project"):
        return (pca_lib.fit_pca_through_activations(lat, gen.first_activations(lat), k),
                f"GANSpace: PCA of the first layer's activations of {PCA_SAMPLES} samples, regressed to z")
    return None, "no PCA: the preset ships no direction set and has no first 'project' layer"


def attribute_directions(preset: str) -> dict[str, np.ndarray]:
    ds = shipped_directions(preset)
    return dict(ds.directions) if ds is not None else {}


def describe(preset: str) -> str:
    """A paragraph on the preset's edit controls: where the PCA and each direction come from."""
    p, how = pca(preset)
    lines = [f"**{preset}**: edits in {space(preset)} space. {how}."]
    ds = shipped_directions(preset)
    for name, info in (ds.info.items() if ds is not None else []):
        acc = info.get("heldout_accuracy")
        lines.append(f"- direction **{name}**: {info.get('method', 'direction')}"
                     + (f", held-out accuracy {acc:.2f}" if isinstance(acc, (int, float)) else ""))
    if ds is None and is_diffusion(core.model(preset)):
        lines.append("- no attribute directions: they do not apply to a diffusion model (photos are encoded by "
                     "DDIM inversion in Interpolate and restored by SDEdit in Restore).")
    elif ds is None:
        lines.append("- no attribute directions shipped (compute them with `python -m zoo.latent directions`).")
    return "\n".join(lines)


def seed_latent(preset: str, seed: int) -> np.ndarray:
    """[1, D] latent of ``seed`` in the edit space (the z of seed, mapped to w for StyleGAN)."""
    return generator(preset).sample_latents(1, int(seed))


@functools.lru_cache(maxsize=8)
def _photo_input(preset: str, path: str, align: bool) -> np.ndarray:
    m = core.model(preset)
    return core.face_input(core.read_upload(path), m.image_size, m.channels, align)[0]


def photo_input(preset: str, path, align: bool = True) -> np.ndarray:
    """An uploaded photo as ``preset`` reads it: [1, S, S, C] in [-1, 1], its largest face aligned to the UTKFace
    template (``align=False``: its central square); "no face found" is a DemoError. Cached per file."""
    if path is None:
        raise core.DemoError("upload a face image first")
    return _photo_input(preset, str(path), bool(align)).copy()


@functools.lru_cache(maxsize=8)
def _photo_latent(preset: str, path: str, encoder: str | None, steps: int, align: bool) -> np.ndarray:
    m = core.model(preset)
    photo = photo_input(preset, path, align)
    if encoder or is_diffusion(m):  # a diffusion model encodes a photo itself, by DDIM inversion
        from zoo.latent.models import LatentError, check_pair, encode

        try:
            check_pair(encoder, preset)
        except LatentError as e:
            raise core.DemoError(str(e)) from e
        z = encode(core.model(encoder) if encoder else m, photo)
        if z.shape[-1] != m.latent_dim:
            raise core.DemoError(f"encoder {encoder} gives latents of {z.shape[-1]} dimensions; {preset} takes "
                                 f"{m.latent_dim}")
        if space(preset) != "z":
            raise core.DemoError(f"{preset} edits in {space(preset)} space; an encoder gives z")
        return z
    from zoo.latent.project import project

    return project(generator(preset), photo, steps=steps, perceptual=_perceptual(), num_stat_samples=500,
                   progress=True).latent


@functools.lru_cache(maxsize=1)
def _perceptual():
    """The perceptual distance of projections and pivotal tuning (``PROJECTION_CLASSIFIER``'s trunk), or None when
    that preset is not installed (pixel loss alone)."""
    from zoo.latent.project import PerceptualDistance
    from zoo.registry import list_presets

    if PROJECTION_CLASSIFIER in list_presets():
        return PerceptualDistance(core.model(PROJECTION_CLASSIFIER))
    return None


def photo_latent(preset: str, path, encoder: str | None = None, steps: int = 100, align: bool = True) -> np.ndarray:
    """[1, D] latent of an uploaded photo (read by ``photo_input``: aligned unless ``align=False``): the encoder's
    posterior mean when ``encoder`` is given, a diffusion preset's DDIM inversion (the noise it samples the photo
    from) for a diffusion preset, otherwise a projection of ``steps`` Adam steps (pixel MSE + a classifier trunk's
    perceptual distance; tqdm progress). Cached per (preset, file, encoder, steps, align), so moving a slider does
    not project again."""
    steps = core.as_int(steps, "projection steps", 1, core.MAX_PROJECTION_STEPS)
    if path is None:
        raise core.DemoError("upload a face image first")
    return _photo_latent(preset, str(path), encoder or None, steps, bool(align)).copy()


@functools.lru_cache(maxsize=4)
def _tuned(preset: str, path: str, encoder: str | None, steps: int, align: bool, pivotal_steps: int):
    from zoo.latent.inversion import pivotal_tune

    pivot = photo_latent(preset, path, encoder, steps, align)
    tuned, _ = pivotal_tune(generator(preset), pivot, photo_input(preset, path, align), pivotal_steps,
                            perceptual=_perceptual(), progress=True)
    return tuned.model


def photo_model(preset: str, path, encoder: str | None = None, steps: int = 100, align: bool = True,
                pivotal_steps: int = 0):
    """The network that draws an uploaded photo's edits: with ``pivotal_steps`` > 0 a copy of the preset's
    generator fine-tuned that many steps to draw the photo at its latent (pivotal tuning, Roich et al. 2021, as
    ``zoo.latent project --pivotal-steps``: the edits keep the person), else the preset's own model. A diffusion
    preset is never tuned (its DDIM inversion already redraws the photo). Cached per photo and setting, so a
    slider does not tune again; the preset's own weights are never changed."""
    pivotal_steps = core.as_int(pivotal_steps, "pivotal tuning steps", 0, core.MAX_PIVOTAL_STEPS)
    if path is None:
        raise core.DemoError("upload a face image first")
    if not pivotal_steps or is_diffusion(core.model(preset)):
        return core.model(preset)
    return _tuned(preset, str(path), encoder or None, core.as_int(steps, "projection steps", 1,
                                                                  core.MAX_PROJECTION_STEPS), bool(align),
                  pivotal_steps)


def apply_edits(preset: str, latent, pca_amounts=(), attribute_amounts=None, layers=None) -> np.ndarray:
    """The latent moved by ``pca_amounts[k]`` standard deviations along PCA component k and by
    ``attribute_amounts[name]`` along each named direction. With ``layers`` (start, stop), a StyleGAN edit on
    those synthesis layers only: the result is w+ [1, num_ws, D]."""
    from zoo.latent.pca import edit_layers

    latent = np.asarray(latent, np.float32)
    delta = np.zeros(latent.shape[-1], np.float64)
    p, _ = pca(preset)
    amounts = [float(a) for a in pca_amounts]
    if any(amounts):
        if p is None:
            raise core.DemoError(f"{preset} has no PCA directions to edit along")
        if len(amounts) > len(p.stds):
            raise core.DemoError(f"{preset}'s PCA has {len(p.stds)} components, {len(amounts)} amounts given")
        for k, a in enumerate(amounts):
            delta += a * p.stds[k] * p.components[k]
    dirs = attribute_directions(preset)
    for name, a in (attribute_amounts or {}).items():
        if float(a):
            if name not in dirs:
                raise core.DemoError(f"{preset} has no direction {name!r}; it has {sorted(dirs) or 'none'}")
            delta += float(a) * dirs[name]
    if layers is None:
        return (latent + delta.reshape((1,) * (latent.ndim - 1) + (-1,))).astype(np.float32)
    m = core.model(preset)
    if not core.is_stylegan(m) or space(preset) != "w":
        raise core.DemoError(f"layer-range edits need a StyleGAN preset editing w; {preset} is not one")
    ws = latent if latent.ndim == 3 else np.repeat(latent[:, None], m.num_ws, axis=1)
    start, stop = int(layers[0]), int(layers[1])
    if not 0 <= start < stop <= m.num_ws:
        raise core.DemoError(f"the layer range must satisfy 0 <= start < stop <= {m.num_ws}, got {start}:{stop}")
    return edit_layers(ws, delta, 1.0, (start, stop))


def decode(preset: str, latent, model=None) -> np.ndarray:
    """Images [B, H, W, C] in [-1, 1] of latents in the edit space (or w+ [B, num_ws, D]), drawn by the preset's
    model or by ``model`` (a pivotally tuned copy of it, ``photo_model``)."""
    from zoo.latent.models import Generator

    latent = np.asarray(latent, np.float32)
    if model is None:
        return generator(preset, "w+" if latent.ndim == 3 else None)(latent)
    return Generator(model, "w+" if latent.ndim == 3 else space(preset))(latent)


def mix_styles(preset: str, seed_a: int, seed_b: int, crossover: int) -> np.ndarray:
    """StyleGAN style mixing: images [3, H, W, C] of seed A, seed B, and A's styles on the layers before
    ``crossover`` with B's from it on."""
    m = core.model(preset)
    if not core.is_stylegan(m):
        raise core.DemoError(f"style mixing needs a StyleGAN preset; {preset} is a {type(m).__name__}")
    crossover = core.as_int(crossover, "crossover layer", 0, m.num_ws)
    gen = generator(preset, "w+")
    a, b = gen.sample_latents(1, int(seed_a)), gen.sample_latents(1, int(seed_b))
    mixed = np.concatenate([a[:, :crossover], b[:, crossover:]], axis=1)
    return gen(np.concatenate([a, b, mixed]))
