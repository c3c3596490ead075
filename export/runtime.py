"""Run exported facezoo models with ONNX Runtime alone: numpy and onnxruntime, no TensorFlow, no Keras.

    from export.runtime import OnnxGenerator
    images = OnnxGenerator("exported/generator.onnx").sample(16, seed=0)   # uint8 [16, 64, 64, 3]

Each ``.onnx`` file may have its model card beside it (``generator.onnx.json``, written by ``python -m export``);
the value ranges are read from it, and default to the zoo's [-1, 1] convention without one. Inputs are checked
before they reach ONNX Runtime: a wrong rank, size or dtype raises an error naming the expected one.
"""

from __future__ import annotations

import json
import os

import numpy as np

try:
    import onnxruntime as ort
except ImportError as e:  # the runtime is an optional extra
    raise ImportError('export.runtime needs ONNX Runtime, an optional extra: pip install "facezoo[onnx]" (or just '
                      'pip install onnxruntime)') from e

# Limits that turn an out-of-memory crash deep in ONNX Runtime into a message: images per session.run call, and
# the size of any one array a call allocates (latents, outputs).
MAX_BATCH = 1024
MAX_ARRAY_BYTES = 2 << 30

_ONNX_DTYPES = {"tensor(float)": np.float32, "tensor(double)": np.float64, "tensor(float16)": np.float16,
                "tensor(int64)": np.int64, "tensor(int32)": np.int32, "tensor(uint8)": np.uint8}


class OnnxModel:
    """One single-input ONNX file with its (optional) model card.

    ``input_shape`` has None for the dynamic batch dimension; ``output_names`` lists the graph's outputs.
    ``threads`` sets ONNX Runtime's intra-op threads (default: its own choice, one per core); ``spinning=False``
    stops idle threads from busy-waiting, which is faster on a machine shared with other busy processes.
    """

    def __init__(self, path: str, threads: int | None = None, providers=None, spinning: bool = True):
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{path}: no such ONNX file")
        self.path = path
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = int(threads)
        if not spinning:
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = ort.InferenceSession(path, options, providers=providers or ["CPUExecutionProvider"])
        except Exception as e:  # onnxruntime raises its own exception types for unreadable files
            raise ValueError(f"{path}: not a loadable ONNX model ({e})") from e
        card_path = path + ".json"
        self.card = {}
        if os.path.isfile(card_path):
            with open(card_path) as f:
                self.card = json.load(f)
        inputs = self.session.get_inputs()
        if len(inputs) != 1:
            raise ValueError(f"{path}: expected a model with one input, it has {[i.name for i in inputs]}")
        self.input_name = inputs[0].name
        self.input_shape = tuple(d if isinstance(d, int) else None for d in inputs[0].shape)
        self.input_dtype = np.dtype(_ONNX_DTYPES.get(inputs[0].type, np.float32))
        self.output_names = [o.name for o in self.session.get_outputs()]
        self.output_shapes = {o.name: tuple(d if isinstance(d, int) else None for d in o.shape)
                              for o in self.session.get_outputs()}

    def expected(self) -> str:
        dims = ", ".join("batch" if i == 0 else (str(d) if d is not None else "any") for i, d in
                         enumerate(self.input_shape))
        return f"{self.input_dtype.name} [{dims}]"

    def check_input(self, x) -> np.ndarray:
        """``x`` as an array, or a TypeError/ValueError naming the expected dtype and shape."""
        if not isinstance(x, np.ndarray):
            raise TypeError(f"{os.path.basename(self.path)}: input {self.input_name!r} must be a numpy array "
                            f"{self.expected()}, got {type(x).__name__}")
        if x.dtype != self.input_dtype:
            raise TypeError(f"{os.path.basename(self.path)}: input {self.input_name!r} must be "
                            f"{self.input_dtype.name}, got {x.dtype} (expected {self.expected()}; convert with "
                            f".astype('{self.input_dtype.name}'))")
        bad = x.ndim != len(self.input_shape) or x.shape[0] < 1 or any(
            d is not None and d != s for d, s in zip(self.input_shape[1:], x.shape[1:]))
        if bad:
            raise ValueError(f"{os.path.basename(self.path)}: input {self.input_name!r} must have shape "
                             f"{self.expected()}, got {x.dtype.name} {list(x.shape)}")
        return x

    def run(self, x: np.ndarray, batch_size: int = 64) -> dict[str, np.ndarray]:
        """{output name: array} for the input batch ``x`` (checked first), run ``batch_size`` rows at a time."""
        x = self.check_input(x)
        batch_size = check_batch_size(batch_size)
        parts = [self.session.run(None, {self.input_name: x[i: i + batch_size]}) for i in range(0, len(x), batch_size)]
        return {name: np.concatenate([p[k] for p in parts]) for k, name in enumerate(self.output_names)}


def check_batch_size(batch_size) -> int:
    """``batch_size`` as an int in 1..MAX_BATCH, or a ValueError saying so."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or not 1 <= batch_size <= MAX_BATCH:
        raise ValueError(f"batch_size must be an integer from 1 to {MAX_BATCH} (images per ONNX Runtime call), "
                         f"got {batch_size!r}")
    return int(batch_size)


def _check_size(what: str, n: int, shape, itemsize: int) -> None:
    per_item = itemsize * int(np.prod([d or 1 for d in shape]))
    if n * per_item > MAX_ARRAY_BYTES:
        raise ValueError(f"{what}: {n} items of shape {list(shape)} would need {n * per_item / 2**30:.1f} GiB; at "
                         f"most {MAX_ARRAY_BYTES // per_item} fit the runtime's {MAX_ARRAY_BYTES / 2**30:g} GiB "
                         f"limit per call: ask for fewer and call again")


def _range(entry, default=(-1.0, 1.0)) -> tuple[float, float]:
    value = (entry or {}).get("range")
    return (float(value[0]), float(value[1])) if isinstance(value, (list, tuple)) and len(value) == 2 else default


def to_uint8(images: np.ndarray, value_range=(-1.0, 1.0)) -> np.ndarray:
    """float images in ``value_range`` -> uint8 [0, 255], rounded as a PNG writer would."""
    lo, hi = value_range
    return np.clip(np.round((images.astype(np.float32) - lo) / (hi - lo) * 255.0), 0, 255).astype(np.uint8)


def from_uint8(images: np.ndarray, value_range=(-1.0, 1.0)) -> np.ndarray:
    lo, hi = value_range
    return (images.astype(np.float32) / 255.0 * (hi - lo) + lo).astype(np.float32)


class OnnxGenerator(OnnxModel):
    """A generator or decoder: z float32 [B, latent_dim] -> images [B, H, W, C]."""

    def __init__(self, path: str, threads: int | None = None, providers=None, spinning: bool = True):
        super().__init__(path, threads, providers, spinning)
        if len(self.input_shape) != 2 or self.input_shape[1] is None:
            raise ValueError(f"{path}: a generator takes latents [batch, latent_dim]; this model takes "
                             f"{self.expected()}")
        self.latent_dim = int(self.input_shape[1])
        self.image_shape = self.output_shapes[self.output_names[0]][1:]
        self.value_range = _range((self.card.get("outputs") or [{}])[0])

    def latents(self, n: int, seed: int | None = None) -> np.ndarray:
        """n standard-normal latents float32 [n, latent_dim], reproducible from ``seed``."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"n must be a positive integer, got {n!r}")
        _check_size(f"latents({n})", int(n), (self.latent_dim,), 4)
        return np.random.default_rng(seed).standard_normal((int(n), self.latent_dim)).astype(np.float32)

    def generate(self, latents: np.ndarray, batch_size: int = 64) -> np.ndarray:
        """float32 images [B, H, W, C] in ``value_range`` for latents float32 [B, latent_dim] (finite values)."""
        latents = self.check_input(latents)
        batch_size = check_batch_size(batch_size)
        bad = ~np.isfinite(latents).all(axis=1)
        if bad.any():
            raise ValueError(f"{os.path.basename(self.path)}: latents must be finite; rows "
                             f"{np.flatnonzero(bad)[:10].tolist()} hold NaN or inf (they would give blank images)")
        _check_size(f"{os.path.basename(self.path)}: generate", len(latents), self.image_shape, 4)
        out = [self.session.run(None, {self.input_name: latents[i: i + batch_size]})[0]
               for i in range(0, len(latents), batch_size)]
        return np.concatenate(out)

    def decode(self, latents: np.ndarray, batch_size: int = 64) -> np.ndarray:
        """uint8 images [B, H, W, C] for latents float32 [B, latent_dim]."""
        return to_uint8(self.generate(latents, batch_size), self.value_range)

    def sample(self, n: int, seed: int | None = None, batch_size: int = 64) -> np.ndarray:
        """n uint8 images [n, H, W, C] from latents drawn with ``seed`` (same seed, same images)."""
        batch_size = check_batch_size(batch_size)
        if isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n > 0:
            _check_size(f"sample({n})", int(n), self.image_shape, 4)  # before drawing n latents
        return self.decode(self.latents(n, seed), batch_size)


class _ImageInput(OnnxModel):
    def __init__(self, path: str, threads: int | None = None, providers=None, spinning: bool = True):
        super().__init__(path, threads, providers, spinning)
        if len(self.input_shape) != 4:
            raise ValueError(f"{path}: expected a model of images [batch, H, W, C]; this model takes "
                             f"{self.expected()}")
        self.input_range = _range((self.card.get("inputs") or [{}])[0])

    def prepare(self, images: np.ndarray) -> np.ndarray:
        """uint8 images [B, H, W, C] (scaled to the model's input range) or float32 ones already in that range."""
        name = os.path.basename(self.path)
        if isinstance(images, np.ndarray) and images.dtype == np.uint8:
            self.check_input(images[:1].astype(np.float32))
            return from_uint8(images, self.input_range)
        if isinstance(images, np.ndarray) and images.dtype != np.float32:
            raise TypeError(f"{name}: images must be uint8 [0, 255] or float32 in "
                            f"{list(self.input_range)}, shape {self.expected()[len('float32 '):]}; got {images.dtype}")
        images = self.check_input(images)
        lo, hi = self.input_range
        if not np.isfinite(images).all():
            raise ValueError(f"{name}: images hold NaN or inf values; expected float32 in [{lo:g}, {hi:g}]")
        tol = 1e-3 * (hi - lo)
        if images.size and (images.min() < lo - tol or images.max() > hi + tol):
            hint = " (they look like 0-255 pixel values: pass them as uint8 or scale them)" if images.max() > 2 else ""
            raise ValueError(f"{name}: float32 images must be in [{lo:g}, {hi:g}], got values from "
                             f"{images.min():g} to {images.max():g}{hint}")
        return images


class OnnxClassifier(_ImageInput):
    """A classifier: images [B, H, W, C] -> {output name: predictions [B, ...]}."""

    def predict(self, images: np.ndarray, batch_size: int = 64) -> dict[str, np.ndarray]:
        return self.run(self.prepare(images), batch_size)


class OnnxVAE:
    """A VAE's encoder (images -> latent statistics) and decoder (z -> images) as two ONNX files."""

    def __init__(self, encoder_path: str, decoder_path: str, threads: int | None = None):
        self.encoder = _ImageInput(encoder_path, threads)
        self.decoder = OnnxGenerator(decoder_path, threads)

    @classmethod
    def from_dir(cls, folder: str, threads: int | None = None) -> "OnnxVAE":
        """The ``encoder.onnx`` and ``decoder.onnx`` that ``python -m export`` wrote to ``folder``."""
        return cls(os.path.join(folder, "encoder.onnx"), os.path.join(folder, "decoder.onnx"), threads)

    def encode(self, images: np.ndarray) -> dict[str, np.ndarray]:
        """{output: array} for uint8 or float32 images, e.g. z_mean and z_log_var [B, latent_dim]."""
        return self.encoder.run(self.encoder.prepare(images))

    def decode(self, latents: np.ndarray) -> np.ndarray:
        """uint8 images for latents float32 [B, latent_dim]."""
        return self.decoder.decode(latents)

    def reconstruct(self, images: np.ndarray) -> np.ndarray:
        """uint8 reconstructions through the posterior mean (the encoder's first output)."""
        return self.decode(self.encode(images)[self.encoder.output_names[0]])

    def sample(self, n: int, seed: int | None = None) -> np.ndarray:
        return self.decoder.sample(n, seed)


def make_grid(images: np.ndarray, cols: int | None = None, pad: int = 2, pad_value: int = 255) -> np.ndarray:
    """Tile uint8 images [N, H, W, C] (C = 1 or 3) into one [rows*H, cols*W, 3] uint8 image."""
    if images.dtype != np.uint8 or images.ndim != 4:
        raise ValueError(f"make_grid needs uint8 images [N, H, W, C], got {images.dtype} {list(images.shape)}")
    if images.shape[-1] == 1:
        images = np.repeat(images, 3, axis=-1)
    n, h, w, c = images.shape
    cols = cols or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    grid = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad, c), pad_value, np.uint8)
    for i in range(n):
        r, k = divmod(i, cols)
        grid[pad + r * (h + pad): pad + r * (h + pad) + h, pad + k * (w + pad): pad + k * (w + pad) + w] = images[i]
    return grid
