"""Feature extractors for the distribution metrics: InceptionV3 pool3 (FID proper) or any Keras model.

Every extractor takes uint8 images [B, H, W, C] (generated images are quantised to uint8 before they get here,
as if saved to PNG), resizes them to its input size with ``tf.image.resize(bilinear, antialias=True)``, converts
the channels, scales to its input range and returns features [B, D] float32 (and class probabilities [B, K]
when it has a classifier head, for the Inception Score). The whole path runs in one ``tf.function``; with
``jit_compile`` the network inside it is compiled with XLA (the antialiased resize has no XLA kernel).
``protocol`` describes everything that changes the numbers; it is written into every result and into the
reference-statistics cache, whose entries are recomputed when it differs.
"""

from __future__ import annotations

import hashlib
import os

import numpy as np
import tensorflow as tf

INCEPTION_SIZE = 299
INCEPTION_WEIGHTS_FILES = ("inception_v3_weights_tf_dim_ordering_tf_kernels.h5",
                           "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5")
INCEPTION_WEIGHTS_URL = ("https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
                         "inception_v3_weights_tf_dim_ordering_tf_kernels.h5")
RESIZE_METHOD = "tf.image.resize(bilinear, antialias=True) from uint8"


class ExtractorError(ValueError):
    """An extractor cannot be built: missing weights, unknown model, or a model without usable features."""


HOW_TO_GET_INCEPTION = (
    "FID needs the ImageNet weights of InceptionV3, which facezoo never downloads and never replaces with random "
    "weights. On a machine with internet, fetch\n  " + INCEPTION_WEIGHTS_URL + "\n(sha256 is recorded in every "
    "result), copy it here and pass --inception-weights PATH (or set FACEZOO_INCEPTION_WEIGHTS=PATH, or put it in "
    "~/.keras/models/). Without it, use --extractor PRESET|MODEL.keras to get a Frechet distance in that model's "
    "feature space (labelled as such, not FID).")


class FeatureExtractor:
    """uint8 images [B, H, W, C] -> features [B, D] float32 (and probabilities [B, K] when ``has_predictions``).

    ``model`` maps float images [B, size, size, channels] in ``input_range`` to a tensor of features, or to a
    tuple ``(features, probabilities)``. ``name`` labels every result computed with it; ``fingerprint`` (for
    example the sha256 of the weights) makes a cached statistic from other weights unusable.
    """

    def __init__(self, model, name: str, image_size: int, channels: int = 3, input_range=(-1.0, 1.0),
                 has_predictions: bool = False, fingerprint: str = "", layer: str = "", jit_compile: bool = False,
                 is_standard_fid: bool = False):
        if image_size < 4:
            raise ExtractorError(f"extractor {name}: input size must be at least 4, got {image_size}")
        if channels not in (1, 3):
            raise ExtractorError(f"extractor {name}: input channels must be 1 or 3, got {channels}")
        self.model, self.name, self.image_size, self.channels = model, name, int(image_size), int(channels)
        self.input_range = (float(input_range[0]), float(input_range[1]))
        self.has_predictions, self.fingerprint, self.layer = has_predictions, fingerprint, layer
        self.is_standard_fid = is_standard_fid
        self.jit_compile = jit_compile
        # The antialiased resize has no XLA kernel: only the network is compiled with XLA, inside the graph.
        self._network = tf.function(self._run_model, jit_compile=True, reduce_retracing=True) if jit_compile \
            else self._run_model
        self._fn = tf.function(self._extract, reduce_retracing=True)

    # -- the graph -----------------------------------------------------------------------------------------
    def preprocess(self, images):
        """uint8 [B, H, W, C] -> float32 [B, size, size, channels] in ``input_range``."""
        x = tf.cast(images, tf.float32)
        if x.shape.rank != 4:
            raise ValueError(f"extractor {self.name}: expected images [B, H, W, C], got shape {x.shape}")
        if x.shape[-1] == 1 and self.channels == 3:
            x = tf.image.grayscale_to_rgb(x)
        elif x.shape[-1] == 3 and self.channels == 1:
            x = tf.image.rgb_to_grayscale(x)
        if x.shape[1] != self.image_size or x.shape[2] != self.image_size:
            x = tf.image.resize(x, (self.image_size, self.image_size), method="bilinear", antialias=True)
        lo, hi = self.input_range
        return x * ((hi - lo) / 255.0) + lo

    def _run_model(self, x):
        out = self.model(x)
        if isinstance(out, (tuple, list)):
            return tuple(tf.cast(o, tf.float32) for o in out)
        return (tf.cast(out, tf.float32),)

    def _extract(self, images):
        return self._network(self.preprocess(images))

    def __call__(self, images):
        """Features [B, D] (and probabilities [B, K] if ``has_predictions``) as numpy float32."""
        images = tf.convert_to_tensor(images)
        if images.dtype != tf.uint8:
            raise ValueError(f"extractor {self.name}: expected uint8 images (quantise generated images first with "
                             f"zoo.utils.images.to_uint8), got {images.dtype.name}")
        out = [o.numpy() for o in self._fn(images)]
        return out if self.has_predictions else out[0]

    @property
    def protocol(self) -> dict:
        """Everything about the extraction that changes the numbers (JSON-able)."""
        return {"extractor": self.name, "layer": self.layer, "extractor_fingerprint": self.fingerprint,
                "input_size": self.image_size, "input_channels": self.channels,
                "input_range": list(self.input_range), "resize": RESIZE_METHOD,
                "quantisation": "uint8 (generated images rounded as a PNG writer would)"}

    @property
    def metric_prefix(self) -> str:
        """``FID``/``KID`` for InceptionV3 pool3; otherwise ``FD[name]``/``KID[name]`` never mistaken for FID."""
        return "" if self.is_standard_fid else f"[{self.name}]"


# -- InceptionV3 ----------------------------------------------------------------------------------------------

def find_inception_weights(path: str | None = None) -> str:
    """The local InceptionV3 ImageNet weights file: ``path``, ``$FACEZOO_INCEPTION_WEIGHTS`` or the Keras cache.

    Raises ``ExtractorError`` with instructions when none exists.
    """
    candidates = [path] if path else []
    if not path:
        if os.environ.get("FACEZOO_INCEPTION_WEIGHTS"):
            candidates.append(os.environ["FACEZOO_INCEPTION_WEIGHTS"])
        keras_home = os.environ.get("KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras"))
        candidates += [os.path.join(keras_home, "models", f) for f in INCEPTION_WEIGHTS_FILES]
    for c in candidates:
        if os.path.isfile(c):
            return c
    where = f"{path} does not exist" if path else "none given and none found in " + ", ".join(candidates)
    raise ExtractorError(f"InceptionV3 weights not available ({where}).\n{HOW_TO_GET_INCEPTION}")


def _check_inception_file(path: str) -> None:
    """Refuse, before building the network, a file that is not HDF5 or lacks InceptionV3's 94 convolutions."""
    import h5py

    names = []
    try:
        with h5py.File(path, "r") as f:
            f.visit(names.append)
            names += [str(n) for n in f.attrs.get("layer_names", [])]
    except OSError as e:
        raise ExtractorError(f"{path} is not an InceptionV3 weights file (not HDF5: {e}).\n{HOW_TO_GET_INCEPTION}") \
            from e
    convs = {n.rsplit("/", 1)[-1] for n in names if n.rsplit("/", 1)[-1].startswith("conv2d")}
    if len(convs) < 94:  # InceptionV3 has 94 convolutions (legacy .h5 and Keras 3 .weights.h5 alike)
        raise ExtractorError(f"{path} is not an InceptionV3 weights file ({len(convs)} convolution layers in it, "
                             f"InceptionV3 has 94).\n{HOW_TO_GET_INCEPTION}")


def inception_extractor(weights_path: str | None = None, jit_compile: bool = False) -> FeatureExtractor:
    """InceptionV3 pool3 features (2048-d) at 299x299 from the local ImageNet weights file, with the 1000-class
    softmax for the Inception Score when the file has the top layers (a ``_notop`` file gives features only)."""
    import keras

    path = find_inception_weights(weights_path)
    _check_inception_file(path)
    full = keras.applications.InceptionV3(weights=None, include_top=True)
    try:
        full.load_weights(path)
        model = keras.Model(full.input, [full.get_layer("avg_pool").output, full.output], name="inception_v3")
        has_predictions = True
    except Exception as top_error:  # noqa: BLE001 - try the feature-only layout before giving up
        base = keras.applications.InceptionV3(weights=None, include_top=False, pooling="avg")
        try:
            base.load_weights(path)
        except Exception as e:  # noqa: BLE001
            raise ExtractorError(f"{path} is not an InceptionV3 weights file (with top: {top_error}; without top: "
                                 f"{e}).\n{HOW_TO_GET_INCEPTION}") from e
        model, has_predictions = base, False
    from zoo.utils.io import sha256_file

    return FeatureExtractor(model, "inception_v3", INCEPTION_SIZE, 3, (-1.0, 1.0), has_predictions,
                            fingerprint="sha256:" + sha256_file(path), layer="pool3 (avg_pool, 2048-d)",
                            jit_compile=jit_compile, is_standard_fid=True)


# -- any Keras model ------------------------------------------------------------------------------------------

def weights_fingerprint(model) -> str:
    h = hashlib.sha256()
    for w in model.get_weights():
        h.update(np.ascontiguousarray(w).tobytes())
    return "sha256:" + h.hexdigest()


def _input_geometry(model) -> tuple[int, int]:
    """(image size, channels) a model expects, from its attributes, inputs or build config."""
    size, channels = getattr(model, "image_size", None), getattr(model, "channels", None)
    shape = None
    try:
        shape = tuple(model.input_shape)
    except (AttributeError, ValueError):
        cfg = model.get_build_config() if hasattr(model, "get_build_config") else None
        shape = tuple(cfg["input_shape"]) if cfg and cfg.get("input_shape") else None
    if shape is not None and len(shape) == 4:
        size = size or shape[1]
        channels = channels or shape[3]
    if not size or not channels:
        raise ExtractorError(f"model {model.name}: cannot tell its input image size and channels (no image_size "
                             f"attribute and no 4-d input shape, got {shape}); build it on [B, H, W, C] images")
    return int(size), int(channels)


MODEL_OUTPUT = "model output"  # the features are the model's own output (an embedding network)


def _leaf_layers(model):
    return [l for l in model._flatten_layers(include_self=False, recursive=True)
            if not list(l._flatten_layers(include_self=False, recursive=False))]


def penultimate_model(model, layer: str | None = None):
    """A callable images -> (features [B, D], model output): the output of the layer named ``layer`` (any depth), else the input
    of the model's last Dense layer, i.e. the penultimate activations (for a multi-head model, those of the last
    head's prediction network).

    Returns ``(callable, description of the layer)``.
    """
    import keras

    if hasattr(model, "members"):
        raise ExtractorError(f"model {model.name} is an ensemble of {len(model.members)} models: it has no single "
                             f"feature layer; use one of its members")
    # A FaceClassifier runs its heads once through predict_heads: its call() with test-time flip would also pass
    # the mirrored images and give features for twice the batch.
    forward = getattr(model, "predict_heads", None) or (lambda x: model(x, training=False))
    every = list(model._flatten_layers(include_self=False, recursive=True))
    if layer is not None:
        matches = [l for l in every if l.name == layer]
        if not matches:
            raise ExtractorError(f"model {model.name} has no layer {layer!r}; its layers are "
                                 f"{[l.name for l in every]}")
        target, take = matches[0], "output"
    else:
        dense = [l for l in _leaf_layers(model) if isinstance(l, keras.layers.Dense)]
        if not dense:
            # No classifier head: a model whose output is already a feature vector [B, D] (an embedding
            # network) is used as it is.
            def output_features(x):
                out = forward(x)
                if isinstance(out, (dict, list, tuple)) or len(out.shape) != 2:
                    raise ExtractorError(f"model {model.name} has no Dense layer to take penultimate features "
                                         f"from and its output is not a feature vector [B, D]; name a layer with "
                                         f"--extractor-layer (one of {[l.name for l in every]})")
                return out, None
            return output_features, MODEL_OUTPUT
        target, take = dense[-1], "input"

    def features(x):
        # Record the tensor flowing into (or out of) the target layer while the model runs; this happens at
        # trace time, so the recorded tensor belongs to the same graph and can be returned.
        captured = []
        original = target.call

        def hooked(inputs, *args, **kwargs):
            out = original(inputs, *args, **kwargs)
            captured.append(inputs if take == "input" else out)
            return out

        target.call = hooked
        try:
            out = forward(x)
        finally:
            del target.call
        if not captured:
            raise ExtractorError(f"model {model.name}: layer {target.name} was not called")
        feats = captured[-1]
        return tf.reshape(feats, (tf.shape(feats)[0], -1)), out

    return features, f"{take} of {target.name}"


def _class_output(model, size: int, channels: int) -> bool:
    """True when the model's output is a single [B, K] tensor (K > 1): class scores usable for an IS."""
    out = model(tf.zeros((1, size, size, channels)), training=False)
    return not isinstance(out, (dict, list, tuple)) and len(out.shape) == 2 and out.shape[-1] > 1


def load_keras_model(spec: str):
    """A Keras model from a ``.keras`` file (safe mode) or a preset name / folder."""
    import keras

    if spec.endswith(".keras"):
        if not os.path.isfile(spec):
            raise ExtractorError(f"extractor model file not found: {spec}")
        import zoo.registry

        zoo.registry.import_model_families()
        return keras.saving.load_model(spec, safe_mode=True, compile=False), os.path.splitext(
            os.path.basename(spec))[0]
    from zoo.registry import PresetError, from_preset

    try:
        model = from_preset(spec)
    except PresetError as e:
        raise ExtractorError(f"--extractor {spec!r}: expected 'inception', a .keras file or a preset: {e}") from e
    return model, preset_label(spec)


def preset_label(spec: str) -> str:
    """A preset's name for reports: its built-in name or folder name (the run's name for ``<run>/preset``)."""
    path = os.path.normpath(spec)
    name = os.path.basename(path)
    return os.path.basename(os.path.dirname(path)) or name if name == "preset" else name


def _head_output(model, head: str, size: int, channels: int) -> None:
    """Refuse a ``head`` that is not one of the model's class outputs [B, K], K > 1, naming the ones it has."""
    out = model(tf.zeros((1, size, size, channels)), training=False)
    heads = {k: v for k, v in out.items()} if isinstance(out, dict) else {}
    usable = [k for k, v in heads.items() if len(v.shape) == 2 and v.shape[-1] > 1]
    if head not in usable:
        raise ExtractorError(f"model {model.name} has no class head {head!r} for an Inception Score; its class heads "
                             f"are {usable or 'none'} (a head with one value per image, such as age, has no classes)")


def keras_extractor(model_or_spec, layer: str | None = None, name: str | None = None, input_range=(-1.0, 1.0),
                    jit_compile: bool = False, head: str | None = None) -> FeatureExtractor:
    """Penultimate-layer features of any Keras model (a model, a ``.keras`` path or a preset name), labelled with
    its name. facezoo models take images in [-1, 1]; pass ``input_range`` for others. ``head``: the class output
    of a model with several (a dict) whose probabilities an Inception Score uses; the label gets ``:head``."""
    if isinstance(model_or_spec, str):
        model, default_name = load_keras_model(model_or_spec)
    else:
        model, default_name = model_or_spec, model_or_spec.name
    size, channels = _input_geometry(model)
    both, where = penultimate_model(model, layer)
    if where == MODEL_OUTPUT:
        both(tf.zeros((1, size, size, channels)))  # eagerly: an output that is not [B, D] is refused here
    if head is not None:
        _head_output(model, head, size, channels)
        default_name, has_predictions = f"{default_name}:{head}", True
    else:
        has_predictions = where != MODEL_OUTPUT and _class_output(model, size, channels)

    def fn(x):  # features, and the class scores from the same forward pass when the model has them
        feats, out = both(x)
        if head is not None:
            out = out[head]
        return (feats, out) if has_predictions else feats
    fingerprint = getattr(model, "preset_metadata", {}).get("weights_sha256")
    fingerprint = "sha256:" + fingerprint if fingerprint else weights_fingerprint(model)
    return FeatureExtractor(fn, name or default_name, size, channels, input_range, has_predictions, fingerprint,
                            where, jit_compile=jit_compile)


def make_extractor(spec: str = "inception", inception_weights: str | None = None, layer: str | None = None,
                   jit_compile: bool = False) -> FeatureExtractor:
    """``inception`` (needs the local weights file), ``face_embedding`` (dlib's 128-d face descriptor) or a preset name / folder / ``.keras`` file, optionally with
    ``:HEAD``, a class head of a model with several, for the Inception Score (``classifier_multitask_utkface_48:
    ethnicity``; a shipped classifier returns a dict of heads, so an IS needs one named)."""
    if spec == "inception":
        return inception_extractor(inception_weights, jit_compile=jit_compile)
    if spec == "face_embedding":  # dlib's face-recognition descriptor: a space the zoo's classifiers did not shape
        from zoo.metrics.face_embedding import FaceEmbeddingExtractor

        return FaceEmbeddingExtractor()
    base, sep, head = spec.rpartition(":")
    if sep and base and head.isidentifier() and not os.path.exists(spec):
        return keras_extractor(base, layer=layer, jit_compile=jit_compile, head=head)
    return keras_extractor(spec, layer=layer, jit_compile=jit_compile)
