"""What every tab shares: the presets sorted by kind, cached models, seeded latents, enlarged grids, uploads read
with a pixel cap before decoding, and errors turned into a sentence in the page (``gr.Error``).

The functions here and in ``demo.tabs.*`` are plain numpy in / numpy out; only ``build`` functions touch Gradio.
"""

from __future__ import annotations

import functools
import os

import numpy as np

MAX_FACES = 64  # per grid
MAX_STEPS = 16  # interpolation steps and matrix side
MAX_PROJECTION_STEPS = 500
MAX_PIVOTAL_STEPS = 300
# the Edit tab's default: measured in docs/identity.md (30 steps after a 100-step projection keep the person while
# the edit still moves the attribute; 100 steps redraw the photo more closely but the edit barely moves it)
PIVOTAL_STEPS = 30
MAX_SCALE = 8
MAX_GRID_PIXELS = 4096 * 4096  # an enlarged grid larger than this is refused (its PNG alone would be ~50 MB)
MAX_UPLOAD_PIXELS = 4096 * 4096  # an upload larger than this is refused from its header, never decoded
MAX_UPLOAD_MB = 20  # Gradio refuses larger files before they reach a function
RESAMPLING = ("nearest", "lanczos")


class DemoError(ValueError):
    """A request the demo refuses, with the sentence shown in the page."""


# ------------------------------------------------------------------------------------------------ presets

def _config(name: str) -> dict:
    from zoo.registry import resolve_preset
    from zoo.utils.io import read_json

    return read_json(os.path.join(resolve_preset(name), "config.json"))


# The tabs' default choices, listed first: the zoo's 64 px RGB face models (a new preset sorting before them by name,
# e.g. a 48 px grey decoder, must not become every tab's default).
FEATURED = ("dcgan_utkface_64", "vae_utkface_64", "vae_encoder_utkface_64")


def catalogue(presets=None) -> dict[str, list[str]]:
    """Presets (built-in names by default, or the given names/folders) by kind: ``generators`` (latent in, image
    out), ``stylegan`` and ``diffusion`` (the StyleGAN generators and the DDIM samplers among them), ``encoders``
    (image in, latent out) and
    ``classifiers`` (face classifiers and their ensembles). ``FEATURED`` presets come first in their kind."""
    from zoo.registry import list_presets

    kinds = {"generators": [], "stylegan": [], "diffusion": [], "encoders": [], "classifiers": []}
    for name in presets if presets is not None else list_presets():
        cfg = _config(name)
        cls = cfg.get("class_name", "")
        shape = cfg.get("build_config", {}).get("input_shape") or []
        if cls.startswith("FaceClassifier"):
            kinds["classifiers"].append(name)
        elif cls.endswith("Encoder"):
            kinds["encoders"].append(name)
        elif len(shape) == 2:
            kinds["generators"].append(name)
            if cls == "StyleGANGenerator":
                kinds["stylegan"].append(name)
            if cls == "DDIMSampler":
                kinds["diffusion"].append(name)
    rank = {name: i for i, name in enumerate(FEATURED)}
    return {kind: sorted(names, key=lambda n: rank.get(n, len(FEATURED))) for kind, names in kinds.items()}


@functools.lru_cache(maxsize=16)
def model(name: str):
    """The preset's model, loaded once per process."""
    from zoo.registry import from_preset

    if not name:
        raise DemoError("choose a preset first")
    return from_preset(name)


def is_stylegan(m) -> bool:
    return hasattr(m, "mapping") and hasattr(m, "synthesis")


def encoder_for(generator: str, encoders: list[str]) -> str | None:
    """The encoder preset that belongs to a decoder preset: the same name with ``_encoder`` added after its
    first word (``vae_utkface_64`` -> ``vae_encoder_utkface_64``) or ``_encoder`` appended, when installed."""
    head, _, tail = os.path.basename(os.path.normpath(generator)).partition("_")
    for cand in encoders:
        base = os.path.basename(os.path.normpath(cand))
        if base in (f"{head}_encoder_{tail}", f"{generator}_encoder", f"{head}_encoder"):
            return cand
    return None


# ------------------------------------------------------------------------------------------------ numbers

def as_int(value, what: str, lo: int, hi: int) -> int:
    """``value`` as an int in [lo, hi], or a DemoError saying what was expected."""
    try:
        f = float(value)
    except (TypeError, ValueError):
        f = float("nan")
    if not np.isfinite(f) or f != int(f) or isinstance(value, bool):
        raise DemoError(f"{what} must be a whole number from {lo} to {hi}, got {value!r}")
    v = int(f)
    if not lo <= v <= hi:
        raise DemoError(f"{what} must be from {lo} to {hi}, got {v}")
    return v


def seed_latents(dim: int, seeds) -> np.ndarray:
    """z [len(seeds), dim] ~ N(0, I), face i drawn from seed i alone (so seed 5 is the same face in every tab)."""
    return np.stack([np.random.default_rng(int(s)).standard_normal(int(dim)) for s in seeds]).astype(np.float32)


def render(name: str, z, psi: float = 1.0, backend: str = "auto", steps=None) -> np.ndarray:
    """Images [B, H, W, C] float in [-1, 1] of generator preset ``name`` for z [B, latent_dim].

    StyleGAN presets apply the truncation ``psi`` with fixed noise; diffusion presets sample by ``steps`` DDIM
    steps (default: the preset's) in Keras; other generators run through ONNX Runtime when ``backend`` is
    ``auto`` and an exported copy is cached (``demo.onnx_cache``), Keras otherwise.
    """
    from demo import diffusion

    m = model(name)
    z = np.asarray(z, np.float32)
    if is_stylegan(m):
        return np.asarray(m(z, truncation_psi=float(psi), randomize_noise=False, training=False), np.float32)
    if diffusion.is_diffusion(m):  # the step count is the page's choice; the ONNX copy would fix it
        return diffusion.sample(name, z, steps)
    if backend not in ("auto", "onnx", "keras"):
        raise DemoError(f"backend must be auto, onnx or keras, got {backend!r}")
    from demo import onnx_cache

    if backend != "keras":
        runner = onnx_cache.runner(name, wait=backend == "onnx")
        if runner is not None:
            return runner.generate(z, batch_size=64)
    images = np.asarray(m(z, training=False), np.float32)
    if backend == "auto":
        onnx_cache.start_export(name)  # after answering: the export does not slow this request down
    return images


# ------------------------------------------------------------------------------------------------- images

def enlarge(images, scale: int = 1, resample: str = "nearest") -> np.ndarray:
    """images [N, H, W, C] (uint8 or float in [-1, 1]) -> uint8 [N, H*scale, W*scale, 3]."""
    from PIL import Image

    from zoo.utils.images import to_uint8

    if resample not in RESAMPLING:
        raise DemoError(f"resampling must be one of {', '.join(RESAMPLING)}, got {resample!r}")
    scale = as_int(scale, "scale", 1, MAX_SCALE)
    imgs = to_uint8(images)
    if imgs.shape[-1] == 1:
        imgs = np.repeat(imgs, 3, axis=-1)
    if scale == 1:
        return imgs
    method = Image.NEAREST if resample == "nearest" else Image.LANCZOS
    h, w = imgs.shape[1:3]
    return np.stack([np.asarray(Image.fromarray(x).resize((w * scale, h * scale), method)) for x in imgs])


def grid(images, scale: int = 1, resample: str = "nearest", cols: int | None = None) -> np.ndarray:
    """Enlarged faces tiled into one uint8 [H, W, 3] image; refused when it would exceed MAX_GRID_PIXELS."""
    from zoo.utils.images import make_grid

    n, h, w = np.shape(images)[:3]
    cols = cols or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    scale = as_int(scale, "scale", 1, MAX_SCALE)
    if rows * h * scale * cols * w * scale > MAX_GRID_PIXELS:
        raise DemoError(f"{n} faces of {h * scale} px make an image over {MAX_GRID_PIXELS:,} pixels; lower the "
                        f"scale or the number of faces")
    return make_grid(enlarge(images, scale, resample), cols=cols)


def read_upload(path, what: str = "face") -> np.ndarray:
    """An uploaded image file -> uint8 [H, W, 3], decoded as training decodes it. The size in its header is
    checked first: an image over MAX_UPLOAD_PIXELS is refused without being decoded."""
    from zoo.data.errors import DataError
    from zoo.data.files import read_image

    if path is None or (isinstance(path, str) and not path):
        raise DemoError(f"upload a {what} image first")
    if not isinstance(path, (str, os.PathLike)):
        raise DemoError(f"the {what} image must arrive as a file, got {type(path).__name__}")
    try:
        return read_image(str(path), 3, MAX_UPLOAD_PIXELS)
    except DataError as e:
        msg = str(e).replace(str(path), f"the uploaded {what} image")
        raise DemoError(msg) from None


def to_model_input(image, size: int, channels: int) -> np.ndarray:
    """uint8 [H, W, 3] -> float32 [1, size, size, channels] in [-1, 1]: the central square, resized as in training."""
    from zoo.data.transforms import model_input

    return model_input(np.asarray(image), size, channels)


ALIGN_LABEL = "align the face (untick: the photo's central square)"


def face_crop(image, align: bool = True, what: str = "face") -> np.ndarray:
    """An upload (uint8 [H, W, 3]) as the models read it, before resizing: its largest face aligned to the UTKFace
    template at the chips' 200 px (``zoo.data.photo_input``, as ``predict`` and ``zoo.latent`` read a photo), or
    with ``align=False`` its central square. No face found is a DemoError, never a silent centre crop."""
    from zoo.data.errors import DataError
    from zoo.data.photo_input import face_crops

    try:
        found = face_crops(np.asarray(image), bool(align))
    except DataError as e:
        raise DemoError(str(e)) from None
    if not found:
        raise DemoError(f"no face found in the uploaded {what} image (untick '{ALIGN_LABEL.split(' (')[0]}' to "
                        f"use its central square)")
    return found[0][1]


def face_input(image, size: int, channels: int, align: bool = True, what: str = "face") -> tuple:
    """``(x float32 [1, size, size, channels] in [-1, 1], crop uint8)``: ``face_crop`` read as in training."""
    crop = face_crop(image, align, what)
    return to_model_input(crop if align else image, size, channels), crop


# --------------------------------------------------------------------------------------------------- page

def in_page(fn):
    """Wrap a widget function so that any failure reaches the page as ``gr.Error`` with a sentence (a refused
    request as it is; anything unexpected with its type), never a bare "Error" badge."""
    import gradio as gr

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except (DemoError, ValueError, FileNotFoundError) as e:
            raise gr.Error(str(e) or type(e).__name__) from e
        except Exception as e:  # noqa: BLE001 - shown to the user instead of a bare badge
            raise gr.Error(f"the demo failed: {type(e).__name__}: {e}") from e

    return wrapped


def upload_image(label: str, **kwargs):
    """An upload widget that hands the file over undecoded: ``type="filepath"`` and ``image_mode=None`` (with
    Gradio's default "RGB" a greyscale or RGBA file is decoded and converted before any size check), so that
    ``read_upload`` checks the size in the header first, and says in a sentence when a file is not an image
    (``demo.upload.UploadImage``)."""
    from demo.upload import UploadImage

    return UploadImage(label=label, type="filepath", image_mode=None, sources=["upload", "clipboard"], **kwargs)


EXAMPLES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "examples")


def example_faces() -> list[str]:
    """The example face PNGs shipped in ``demo/examples/`` (generated by ``python -m demo.make_examples``)."""
    if not os.path.isdir(EXAMPLES_DIR):
        return []
    return sorted(os.path.join(EXAMPLES_DIR, f) for f in os.listdir(EXAMPLES_DIR) if f.endswith(".png"))


def examples(widget, label: str = "examples: click one") -> None:
    """Clickable example faces for an upload ``widget`` (nothing when none are shipped)."""
    import gradio as gr

    faces = example_faces()
    if faces:
        gr.Examples([[f] for f in faces], [widget], label=label, examples_per_page=len(faces),
                    elem_id=f"{widget.elem_id}-examples" if widget.elem_id else None)


@functools.lru_cache(maxsize=1)
def _download_dir() -> str:
    import atexit
    import shutil
    import tempfile

    folder = tempfile.mkdtemp(prefix="facezoo-demo-")
    atexit.register(shutil.rmtree, folder, True)
    return folder


def save_png(image: np.ndarray, stem: str) -> str:
    """Write ``image`` as ``<stem>.png`` in this process's download folder (removed at exit; the same stem is
    overwritten, atomically) for a download button; returns its path."""
    from zoo.utils.images import save_png as write

    path = os.path.join(_download_dir(), f"{os.path.basename(stem)}.png")
    write(path, image, min_size=1)
    return path
