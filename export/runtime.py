"""Run exported facezoo models with ONNX Runtime alone: numpy and onnxruntime, no TensorFlow, no Keras, no zoo.

    from export.runtime import OnnxGenerator
    images = OnnxGenerator("exported/generator.onnx").sample(16, seed=0)   # uint8 [16, 64, 64, 3]

Each ``.onnx`` file may have its model card beside it (``generator.onnx.json``, written by ``python -m export``);
the value ranges are read from it, and default to the zoo's [-1, 1] convention without one. Inputs are checked
before they reach ONNX Runtime: a wrong rank, size or dtype raises an error naming the expected one.

    OnnxGenerator("exported/generator.onnx", backend="openvino", precision="bfloat16")   # faster batches, ~1e-3 off

runs the same file with OpenVINO (optional extra ``facezoo[openvino]``), in float32 or bfloat16.

Installed on its own: ``pip install "facezoo[runtime]"`` (onnxruntime, numpy, Pillow), or the small
``facezoo-runtime`` wheel that ``python -m export.runtime_wheel`` builds, which holds no TensorFlow requirement.
This module imports only the standard library, numpy and onnxruntime (onnx and openvino inside the OpenVINO
backend): keep it so.
"""

from __future__ import annotations

import json
import math
import os

import numpy as np

try:
    import onnxruntime as ort
except ImportError as e:  # the runtime is an optional extra
    raise ImportError('export.runtime needs ONNX Runtime, an optional extra: pip install "facezoo[runtime]" (or '
                      'just pip install onnxruntime; python -m export.runtime_wheel builds facezoo-runtime, this '
                      'runtime without TensorFlow)') from e

# Limits that turn an out-of-memory crash deep in ONNX Runtime into a message: images per session.run call, and
# the size of any one array a call allocates (latents, outputs).
MAX_BATCH = 1024
MAX_ARRAY_BYTES = 2 << 30

_ONNX_DTYPES = {"tensor(float)": np.float32, "tensor(double)": np.float64, "tensor(float16)": np.float16,
                "tensor(int64)": np.int64, "tensor(int32)": np.int32, "tensor(uint8)": np.uint8}


BACKENDS = ("onnxruntime", "openvino")
PRECISIONS = {"float32": "f32", "bfloat16": "bf16"}  # OpenVINO's INFERENCE_PRECISION_HINT values
# How far bfloat16 outputs may stray from float32 Keras on [-1, 1] images: twice what was measured for the
# dcgan_utkface_64 preset over 1024 latents (max 0.028, i.e. 4 levels of 255; mean 1.1e-3, i.e. 0.15 levels).
BFLOAT16_MAX_DIFF, BFLOAT16_MEAN_DIFF = 0.05, 2.5e-3


def session_options(threads: int | None = None, spinning: bool = True) -> "ort.SessionOptions":
    """The ONNX Runtime options every facezoo session uses, set explicitly rather than left to the version's
    defaults: all graph optimisations (constant folding, Conv+activation fusion, NCHWc layouts), nodes run one
    after another (the generators are chains: a parallel executor only adds scheduling), ``threads`` intra-op
    threads (None: one per core) and idle-thread spinning on or off."""
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    if threads:
        options.intra_op_num_threads = int(threads)
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spinning else "0")
    return options


class _Port:
    """An input or output as ONNX Runtime describes it: name, shape (str for a free dimension), type string."""

    def __init__(self, name: str, shape, type_: str):
        self.name, self.shape, self.type = name, shape, type_


class OpenVINOSession:
    """An ONNX file compiled by OpenVINO for the CPU, behind ONNX Runtime's interface (get_inputs, get_outputs,
    run), so that ``OnnxModel`` checks and batches inputs the same way for both backends.

    ``hint`` is OpenVINO's INFERENCE_PRECISION_HINT, always set: left alone, OpenVINO picks bfloat16 by itself on
    CPUs with AVX512-BF16 or AMX. For "bf16" the graph's stride-2 transposed convolutions are first rewritten as
    convolutions + DepthToSpace (export.onnx_passes, exact): OpenVINO runs Deconvolution in float32 even when asked
    for bfloat16 on a CPU without AMX (measured on an AMD EPYC with AVX512-BF16), but Convolution in bfloat16.
    bfloat16 keeps 8 bits of mantissa: outputs move by about 1e-3 on average, ``BFLOAT16_MEAN_DIFF`` at most.
    """

    def __init__(self, path: str, hint: str, threads: int | None = None):
        try:
            import openvino as ov
        except ImportError as e:
            raise ImportError('backend="openvino" needs OpenVINO, an optional extra: pip install "facezoo[openvino]" '
                              '(or just pip install openvino)') from e
        import threading

        import onnx

        from export.onnx_passes import subpixel_conv_transpose

        proto = onnx.load(path)
        if hint == "bf16":
            proto = subpixel_conv_transpose(proto)
        config = {"INFERENCE_PRECISION_HINT": hint, "PERFORMANCE_HINT": "LATENCY"}
        if threads:
            config["INFERENCE_NUM_THREADS"] = int(threads)
        core = ov.Core()
        self.compiled = core.compile_model(core.read_model(proto.SerializeToString()), "CPU", config)
        self._request = self.compiled.create_infer_request()
        self._lock = threading.Lock()  # one infer request: calls from several threads take turns
        types = {np.dtype(v): k for k, v in _ONNX_DTYPES.items()}
        initializers = {i.name for i in proto.graph.initializer}

        def ports(values, compiled_ports):
            return [_Port(v.name, [d.get_length() if d.is_static else "batch" for d in p.get_partial_shape()],
                          types.get(np.dtype(p.get_element_type().to_dtype()), "tensor(float)"))
                    for v, p in zip(values, compiled_ports)]

        self._inputs = ports([v for v in proto.graph.input if v.name not in initializers], self.compiled.inputs)
        self._outputs = ports(proto.graph.output, self.compiled.outputs)

    def get_inputs(self) -> list[_Port]:
        return self._inputs

    def get_outputs(self) -> list[_Port]:
        return self._outputs

    def run(self, output_names, feed: dict) -> list[np.ndarray]:
        """All outputs (``output_names`` must be None, as ``OnnxModel`` passes it) for ``feed`` {input name: array}."""
        with self._lock:
            self._request.infer([feed[p.name] for p in self._inputs])
            return [self._request.get_output_tensor(i).data.copy() for i in range(len(self._outputs))]


class OnnxModel:
    """One single-input ONNX file with its (optional) model card.

    ``input_shape`` has None for the dynamic batch dimension; ``output_names`` lists the graph's outputs.
    ``threads`` sets the intra-op threads (default: the runtime's own choice, one per core); ``spinning=False``
    stops idle ONNX Runtime threads from busy-waiting, which is faster on a machine shared with other busy processes.
    ``backend="openvino"`` runs the file with OpenVINO instead (``pip install "facezoo[openvino]"``), in
    ``precision`` "float32" or "bfloat16" (see ``OpenVINOSession``).
    """

    def __init__(self, path: str, threads: int | None = None, providers=None, spinning: bool = True, *,
                 backend: str = "onnxruntime", precision: str = "float32"):
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{path}: no such ONNX file")
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
        if precision not in PRECISIONS or (backend == "onnxruntime" and precision != "float32"):
            allowed = list(PRECISIONS) if backend == "openvino" else ["float32"]
            raise ValueError(f"precision must be one of {allowed} with backend {backend!r}, got {precision!r}")
        self.path, self.backend, self.precision = path, backend, precision
        try:
            if backend == "openvino":
                self.session = OpenVINOSession(path, PRECISIONS[precision], threads)
            else:
                self.session = ort.InferenceSession(path, session_options(threads, spinning),
                                                    providers=providers or ["CPUExecutionProvider"])
        except ImportError:
            raise
        except Exception as e:  # the runtimes raise their own exception types for unreadable files
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


def _range(entry, where: str, default=(-1.0, 1.0)) -> tuple[float, float]:
    """``(low, high)`` of a model card's input or output entry: its "range", or ``default`` when it gives none. A
    range that is not two finite numbers with low < high is a ValueError naming ``where`` (the card): [0, 0] would
    divide by zero and [1, -1] turn every image into its negative."""
    if not isinstance(entry, dict) or entry.get("range") is None:
        return default
    value = entry["range"]
    numbers = isinstance(value, (list, tuple)) and len(value) == 2 and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value)
    if not numbers or not value[0] < value[1]:
        raise ValueError(f"{where}: range {json.dumps(value)} is not a value range; expected [low, high], two finite "
                         f"numbers with low < high, such as [-1, 1]")
    return float(value[0]), float(value[1])


def to_uint8(images: np.ndarray, value_range=(-1.0, 1.0)) -> np.ndarray:
    """float images in ``value_range`` -> uint8 [0, 255], rounded as a PNG writer would."""
    lo, hi = value_range
    return np.clip(np.round((images.astype(np.float32) - lo) / (hi - lo) * 255.0), 0, 255).astype(np.uint8)


def from_uint8(images: np.ndarray, value_range=(-1.0, 1.0)) -> np.ndarray:
    lo, hi = value_range
    return (images.astype(np.float32) / 255.0 * (hi - lo) + lo).astype(np.float32)


class OnnxGenerator(OnnxModel):
    """A generator or decoder: z float32 [B, latent_dim] -> images [B, H, W, C]."""

    def __init__(self, path: str, threads: int | None = None, providers=None, spinning: bool = True, **backend):
        super().__init__(path, threads, providers, spinning, **backend)
        if len(self.input_shape) != 2 or self.input_shape[1] is None:
            raise ValueError(f"{path}: a generator takes latents [batch, latent_dim]; this model takes "
                             f"{self.expected()}")
        self.latent_dim = int(self.input_shape[1])
        self.image_shape = self.output_shapes[self.output_names[0]][1:]
        self.value_range = _range((self.card.get("outputs") or [{}])[0], f"{path}.json: outputs[0]")

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
    def __init__(self, path: str, threads: int | None = None, providers=None, spinning: bool = True, **backend):
        super().__init__(path, threads, providers, spinning, **backend)
        if len(self.input_shape) != 4:
            raise ValueError(f"{path}: expected a model of images [batch, H, W, C]; this model takes "
                             f"{self.expected()}")
        self.input_range = _range((self.card.get("inputs") or [{}])[0], f"{path}.json: inputs[0]")

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

    def predict_photos(self, photo: np.ndarray, detector=None, align: bool = True, all_faces: bool = False) -> list:
        """One dict per face of ``photo`` (uint8 [H, W, 3]; face, box, confidence, crop, outputs): its largest face
        (each with ``all_faces``) aligned to the UTKFace template, or its central square with ``align=False``;
        empty when no face is found (``export.predict.predict_photo``)."""
        from export.predict import predict_photo

        return predict_photo(self, photo, detector, align, all_faces)


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
