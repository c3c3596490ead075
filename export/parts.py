"""What ``python -m export`` exports and what it feeds the parity check: a model's inference parts (``Part``), their
float32 rebuild when they were trained in mixed precision, their call arguments, input shape and output names, and
the random and real inputs their parity is measured on. ``export.exporter`` writes and checks the files."""

from __future__ import annotations

import contextlib
import dataclasses
import os

import numpy as np

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
_HALF_POLICIES = ("mixed_float16", "mixed_bfloat16", "float16", "bfloat16")

# Composite models and trainers expose their inference parts as attributes: (attribute, part name, kind), in
# order of preference; an EMA generator, when there is one, is the one to ship.
PART_ATTRIBUTES = (
    ("generator_ema", "generator", "generator"),
    ("generator", "generator", "generator"),
    ("encoder", "encoder", "encoder"),
    ("decoder", "decoder", "decoder"),
    ("classifier", "classifier", "classifier"),
)
# Call arguments that make a family's forward pass deterministic for inference, by class name (a class may
# also declare ``export_call_kwargs``): e.g. StyleGAN's per-layer noise is drawn fresh at each call otherwise.
EXPORT_CALL_KWARGS = {}  # StyleGANGenerator declares its own ({"randomize_noise": False}: the stored noise)
LATENT_KINDS = ("generator", "decoder")  # input z [B, latent_dim] ~ N(0, 1), output images
IMAGE_KINDS = ("encoder", "classifier")  # input images [B, H, W, C]


class ExportError(ValueError):
    """A model, preset or run cannot be exported as asked."""


@dataclasses.dataclass
class Part:
    """One inference sub-model: ``name`` is the file stem, ``kind`` one of generator/decoder/encoder/classifier/
    denoiser."""

    name: str
    kind: str
    model: object
    call_kwargs: dict = dataclasses.field(default_factory=dict)  # fixed call arguments, e.g. a progressive level
    owner: object = None  # the model the part serves, where its card needs it: a denoiser's DDIMSampler


# ----------------------------------------------------------------------------------------------- finding parts

def _kind_from_class(model) -> str | None:
    name = type(model).__name__.lower()
    for kind in ("generator", "decoder", "encoder", "classifier"):
        if name.endswith(kind):
            return kind
    if name.endswith(("discriminator", "critic")):
        raise ExportError(f"{type(model).__name__} is a discriminator: it has no use at inference; export the "
                          f"generator (or the preset/run that holds it)")
    return None


def inference_parts(obj) -> list[Part]:
    """The inference sub-models of ``obj``: a model, a composite model (VAE, VAE-GAN) or a trainer.

    A composite exposes its parts as attributes (``PART_ATTRIBUTES``); a lone model is one part whose kind comes
    from its class name (``...Generator``, ``...Decoder``, ``...Encoder``, ``...Classifier``) or, failing that,
    from its input rank (a vector is a latent, an image is classified).
    """
    import keras

    from export.diffusion import diffusion_parts

    if parts := diffusion_parts(obj):  # a DDIM sampler, or a trainer holding one: its denoiser (export/diffusion.py)
        return parts
    if getattr(obj, "keeps_ema", False):
        # A trainer keeping an EMA generator: the run's model as zoo.runs defines it (the EMA generator; a progressive
        # one at the level and alpha reached).
        from zoo.runs import trainer_model

        return [Part("generator", "generator", trainer_model(obj, "generator"))]
    parts, seen_names = [], set()
    for attr, name, kind in PART_ATTRIBUTES:
        sub = getattr(obj, attr, None)
        if isinstance(sub, keras.Model) and sub is not obj and name not in seen_names:
            parts.append(Part(name, kind, sub))
            seen_names.add(name)
    if parts:
        return parts
    if not isinstance(obj, keras.Model):
        raise ExportError(f"{type(obj).__name__} is not a Keras model and has none of the attributes "
                          f"{', '.join(a for a, _, _ in PART_ATTRIBUTES)}")
    kind = _kind_from_class(obj)
    if kind is None:
        kind = "generator" if len(input_shape(obj)) == 2 else "classifier"
    return [Part(kind, kind, obj)]


def input_shape(model) -> tuple:
    """The model's input shape with the batch dimension as None, e.g. (None, 100) or (None, 64, 64, 3)."""
    shape = None
    if getattr(model, "built", False):
        shape = (model.get_build_config() or {}).get("input_shape")
    if shape is None and getattr(model, "inputs", None):
        shape = [model.inputs[0].shape] if len(model.inputs) == 1 else [i.shape for i in model.inputs]
        shape = shape[0] if len(shape) == 1 else shape
    if shape is None:
        raise ExportError(f"{model.name} ({type(model).__name__}) is not built: call it on an input or build it "
                          f"before exporting")
    if isinstance(shape, dict) or (len(shape) and isinstance(shape[0], (list, tuple))):
        raise ExportError(f"{model.name} ({type(model).__name__}) has several inputs {shape}; only single-input "
                          f"models can be exported")
    return (None,) + tuple(int(d) for d in tuple(shape)[1:])


# ------------------------------------------------------------------------------------------ float32 rebuild

def is_float32(model) -> bool:
    """Whether every layer of ``model`` computes and stores its variables in float32."""
    layers = list(model._flatten_layers(include_self=True)) if hasattr(model, "_flatten_layers") else [model]
    for layer in layers:
        policy = getattr(layer, "dtype_policy", None)
        if policy is not None and (policy.compute_dtype != "float32" or policy.variable_dtype != "float32"):
            return False
    return all(str(v.dtype) == "float32" for v in model.weights if "float" in str(v.dtype))


def half_policy(model) -> str | None:
    """The name of the first non-float32 dtype policy among ``model``'s layers, or None."""
    layers = list(model._flatten_layers(include_self=True)) if hasattr(model, "_flatten_layers") else [model]
    for layer in layers:
        policy = getattr(layer, "dtype_policy", None)
        if policy is not None and policy.name != "float32":
            return policy.name
    return None


@contextlib.contextmanager
def dtype_policy(name: str):
    """Set Keras' global dtype policy for the block, and restore the previous one after it."""
    import keras

    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def _float32_config(obj):
    """The serialized config with every half/mixed dtype policy replaced by float32."""
    if isinstance(obj, dict):
        if obj.get("class_name") in ("DTypePolicy", "FloatDTypePolicy") and \
                obj.get("config", {}).get("name") in _HALF_POLICIES:
            return {**obj, "config": {**obj["config"], "name": "float32"}}
        return {k: ("float32" if k == "dtype" and v in _HALF_POLICIES else _float32_config(v)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_float32_config(v) for v in obj]
    return obj


def float32_copy(model, shape=None):
    """``model`` rebuilt from its config under the float32 policy, with its weights copied in (as float32);
    ``shape``: what to build it with (default its ``input_shape``)."""
    import keras

    config = _float32_config(keras.saving.serialize_keras_object(model))
    shape = shape or input_shape(model)
    with dtype_policy("float32"):
        clone = keras.saving.deserialize_keras_object(config, safe_mode=True)
        if not clone.built:
            clone.build(shape)
    source, target = model.get_weights(), clone.get_weights()
    if len(source) != len(target) or any(s.shape != t.shape for s, t in zip(source, target)):
        raise ExportError(f"{model.name}: the float32 rebuild of {type(model).__name__} has weights "
                          f"{[t.shape for t in target]}, the model has {[s.shape for s in source]}")
    clone.set_weights([s.astype(t.dtype) if np.issubdtype(s.dtype, np.floating) else s
                       for s, t in zip(source, target)])
    if not is_float32(clone):
        raise ExportError(f"{model.name}: {type(model).__name__} still has non-float32 layers after a rebuild "
                          f"under the float32 policy (a dtype hard-coded in the class?)")
    return clone


def call_kwargs(model) -> dict:
    """The fixed call arguments ``model`` is exported with (``EXPORT_CALL_KWARGS`` or its class attribute)."""
    return dict(getattr(model, "export_call_kwargs", None) or EXPORT_CALL_KWARGS.get(type(model).__name__, {}))


def bind_call_kwargs(model, kwargs: dict):
    """A model whose ``call(x)`` is ``model(x, **kwargs)``, so that the exported graph has a single input."""
    import keras

    class BoundCall(keras.Model):
        def __init__(self, inner, **kw):
            super().__init__(name=inner.name, **kw)
            self.inner = inner

        def call(self, x, training=False):
            return self.inner(x, training=training, **kwargs)

    bound = BoundCall(model)
    shape = input_shape(model)
    bound(np.zeros((1,) + shape[1:], np.float32))
    return bound


# ---------------------------------------------------------------------------------------- inputs and outputs

def _call(model, x):
    """Keras outputs of ``model`` on ``x`` as {output name: array}."""
    return model(x, training=False)


def _flat(outputs) -> list[np.ndarray]:
    import keras

    return [np.asarray(keras.ops.convert_to_numpy(o)) for o in keras.tree.flatten(outputs)]


def output_names(part: Part, outputs) -> list[str]:
    """Names of the flattened outputs: dict keys, or by kind (images; z_mean/z_log_var; output_i)."""
    if isinstance(outputs, dict):
        import keras

        # keras.tree.flatten orders a dict by its sorted keys, as tf.nest (and so the exported graph) does.
        return [str(k) for k in sorted(outputs)] if len(keras.tree.flatten(outputs)) == len(outputs) else \
            [f"output_{i}" for i in range(len(keras.tree.flatten(outputs)))]
    if not isinstance(outputs, (list, tuple)):
        return ["images" if part.kind in LATENT_KINDS else "outputs" if part.kind == "classifier" else "z_mean"]
    if part.kind == "encoder" and len(outputs) in (2, 3):
        return ["z_mean", "z_log_var", "z"][: len(outputs)]
    return [f"output_{i}" for i in range(len(outputs))]


def image_range(model, default=(-1.0, 1.0), attr="input_range") -> tuple[float, float]:
    """A model's declared ``input_range``/``output_range`` for images, else the zoo's [-1, 1]."""
    value = getattr(model, attr, None)
    return tuple(float(v) for v in value) if value is not None else default


def load_images(folder: str, count: int, size: tuple[int, int], channels: int,
                value_range=(-1.0, 1.0)) -> tuple[np.ndarray, list[str]]:
    """The first ``count`` readable images of ``folder`` (sorted), cropped and resized to ``size`` (H = W) as the
    training pipeline does, as float32 [N, H, W, channels] scaled to ``value_range``, and their file names."""
    from zoo.data.errors import DataError
    from zoo.data.files import load_image

    if not os.path.isdir(folder):
        raise ExportError(f"--images {folder}: not a folder")
    images, names = [], []
    for name in sorted(os.listdir(folder)):
        if not name.lower().endswith(IMAGE_EXTENSIONS):
            continue
        try:
            x = load_image(os.path.join(folder, name), size[0], channels)[0]
        except DataError:
            continue  # a truncated or mislabelled file: the next one will do
        images.append((x + 1.0) / 2.0 * (value_range[1] - value_range[0]) + value_range[0])
        names.append(name)
        if len(images) == count:
            break
    if not images:
        raise ExportError(f"--images {folder}: no readable image ({', '.join(IMAGE_EXTENSIONS)}) in the folder")
    return np.stack(images).astype(np.float32), names


def default_images_dir() -> str | None:
    """The real UTKFace faces beside the repository (``../shared/data/utkface``) when present."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.path.join(root, "..", "shared", "data", "utkface")
    return os.path.normpath(path) if os.path.isdir(path) else None


def parity_inputs(part: Part, shape: tuple, images_dir: str | None, seed: int = 0) -> list[tuple[str, np.ndarray]]:
    """[(description, float32 batch)]: random latents or images at batch 8 and 1 (the batch is dynamic), and
    for image inputs up to 8 real images from ``images_dir``."""
    rng = np.random.default_rng(seed)
    if part.kind in LATENT_KINDS:
        batches = [(f"{n} random latent{'s' if n > 1 else ''} N(0, 1)",
                    rng.standard_normal((n,) + shape[1:]).astype(np.float32)) for n in (8, 1)]
        return batches
    lo, hi = image_range(part.model)
    batches = [(f"{n} random image{'s' if n > 1 else ''} U[{lo:g}, {hi:g}]",
                rng.uniform(lo, hi, (n,) + shape[1:]).astype(np.float32)) for n in (8, 1)]
    folder = images_dir or default_images_dir()
    if folder:
        real, _ = load_images(folder, 8, shape[1:3], shape[3], (lo, hi))
        batches.append((f"{len(real)} real images from {folder}", real))
    else:
        from zoo.data.synthetic import render_faces

        faces = render_faces(0, 8, shape[1], seed).images.astype(np.float32) / 255.0  # uint8 -> [0, 1]
        faces = faces.mean(-1, keepdims=True) if shape[3] == 1 else faces
        faces = (faces * (hi - lo) + lo).astype(np.float32)
        batches.append(("8 synthetic faces (no --images folder)", faces))
    return batches
