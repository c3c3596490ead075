"""Export a model's inference parts to ONNX (Keras' own ``model.export(format="onnx")``) or SavedModel, each
followed by a parity check against Keras and written beside a JSON model card.

Inference parts: a generator (z -> image), a VAE's encoder (image -> latent statistics) and decoder
(z -> image), a classifier (image -> predictions), a diffusion sampler's denoiser (noisy images and their noise
variances -> prediction; ``export.diffusion``). Every file has a dynamic batch dimension. A model whose
layers compute in float16/bfloat16 (a mixed-precision run) is rebuilt from its config under the float32 policy
and its weights copied in, so that the exported graph is float32 end to end.

What a part is and what its parity is measured on live in ``export.parts`` (imported here, so both modules' names
are ``export.exporter``'s). Files written for a part named ``generator`` in ``out``::

    generator.onnx             (--format onnx)       or  generator.savedmodel/   (--format savedmodel)
    generator.onnx.json        the model card: inputs/outputs with shapes, dtypes and value ranges,
                               preprocessing, source preset/run, sha256, parity figure
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
import shutil
import tempfile
import warnings

import numpy as np

from export.parts import (IMAGE_KINDS, LATENT_KINDS, ExportError, Part, _call, _flat, bind_call_kwargs,  # noqa: F401 - re-exported
                          call_kwargs, default_images_dir, float32_copy, half_policy, image_range, inference_parts,
                          input_shape, is_float32, load_images, output_names, parity_inputs)
from zoo.utils.io import atomic_path, read_json, sha256_file, write_json

PARITY_LIMIT = 1e-4
PARITY_RULE = "max |exported - keras| <= limit x max(1, max |keras output|), per output and input batch"
DEFAULT_OPSET = 17
OPSET_RANGE = (13, 18)  # what tf2onnx 1.17 converts to
FORMATS = ("onnx", "savedmodel")

# -------------------------------------------------------------------------------------------------- writers

def _rename_onnx_io(path: str, input_name, names: list[str]) -> None:
    """Give the graph's outputs readable names and call its first dimension ``batch`` everywhere it is free."""
    import onnx

    proto = onnx.load(path)
    graph = proto.graph
    if len(graph.output) != len(names):
        raise ExportError(f"the ONNX graph has {len(graph.output)} outputs, Keras gives {len(names)}")
    mapping = {o.name: n for o, n in zip(graph.output, names) if o.name != n}
    for node in graph.node:
        node.input[:] = [mapping.get(i, i) for i in node.input]
        node.output[:] = [mapping.get(o, o) for o in node.output]
    for value in list(graph.output) + list(graph.value_info):
        value.name = mapping.get(value.name, value.name)
    for value in list(graph.input) + list(graph.output):
        dims = value.type.tensor_type.shape.dim
        if dims and not dims[0].HasField("dim_value"):
            dims[0].dim_param = "batch"
    expected = [input_name] if isinstance(input_name, str) else list(input_name)
    if [i.name for i in graph.input] != expected:
        raise ExportError(f"the ONNX graph's inputs are {[i.name for i in graph.input]}, expected {expected}")
    onnx.checker.check_model(proto)
    onnx.save(proto, path)


def _readable(path: str) -> None:
    """Give a file or folder written under a temporary name (mode 0600/0700) the usual umask permissions."""
    mask = os.umask(0)
    os.umask(mask)
    if not os.path.isdir(path):
        os.chmod(path, 0o666 & ~mask)
        return
    for root, _, files in os.walk(path):
        os.chmod(root, 0o777 & ~mask)
        for f in files:
            os.chmod(os.path.join(root, f), 0o666 & ~mask)


def _signature(input_name, shape) -> list:
    """The export's input signature: one float32 input, or (``input_name`` and ``shape`` lists) one list of them."""
    import keras

    if isinstance(input_name, str):
        return [keras.InputSpec(shape=shape, dtype="float32", name=input_name)]
    return [[keras.InputSpec(shape=s, dtype="float32", name=n) for n, s in zip(input_name, shape)]]


def write_onnx(model, path: str, input_name, shape, names: list[str], opset: int) -> None:
    """``input_name`` and ``shape``: a str and a tuple, or lists of them for a model called on a list of inputs."""
    logging.getLogger("tf2onnx").setLevel(logging.ERROR)
    with atomic_path(path) as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.export(tmp, format="onnx", input_signature=_signature(input_name, shape), opset_version=opset,
                     verbose=False)
        _rename_onnx_io(tmp, input_name, names)
        _readable(tmp)


def write_savedmodel(model, path: str, input_name, shape) -> None:
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".tmp-", dir=parent)
    try:
        model.export(tmp, format="tf_saved_model", input_signature=_signature(input_name, shape), verbose=False)
        _readable(tmp)
        if os.path.isdir(path):
            shutil.rmtree(path)
        os.replace(tmp, path)
    finally:
        if os.path.isdir(tmp):
            shutil.rmtree(tmp)


def sha256_tree(folder: str) -> str:
    """sha256 over a folder: each file's relative path and sha256, in sorted order."""
    h = hashlib.sha256()
    for root, _, files in sorted(os.walk(folder)):
        for f in sorted(files):
            full = os.path.join(root, f)
            h.update(f"{os.path.relpath(full, folder)}\0{sha256_file(full)}\n".encode())
    return h.hexdigest()


class _OnnxRunner:
    def __init__(self, path):
        import onnxruntime as ort

        self.session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]

    def __call__(self, x):  # an array, or a list of arrays for several inputs
        return self.session.run(None, dict(zip(self.inputs, x if isinstance(x, list) else [x])))


class _SavedModelRunner:
    def __init__(self, path):
        import tensorflow as tf

        self.tf = tf
        self.loaded = tf.saved_model.load(path)  # kept: its variables die with it
        self.fn = self.loaded.serve

    def __call__(self, x):
        return _flat(self.fn([self.tf.constant(a) for a in x] if isinstance(x, list) else self.tf.constant(x)))


# --------------------------------------------------------------------------------------------------- export

def parity(expected: list, got: list) -> tuple[float, bool]:
    """(max |got - expected| over all outputs, whether every output is within ``PARITY_LIMIT`` x max(1, its
    largest |value|)): an absolute limit for outputs of order 1 (images, probabilities), a relative one for
    large outputs, where float32 rounding alone exceeds 1e-4 (a VAE encoder's log-variance of -200)."""
    diffs = [(float(np.max(np.abs(np.asarray(g, np.float64) - e))), float(np.max(np.abs(e), initial=0.0)))
             for g, e in zip(got, expected)]
    return max(d for d, _ in diffs), all(d <= PARITY_LIMIT * max(1.0, scale) for d, scale in diffs)


def export_part(part: Part, out_dir: str, fmt: str, *, opset: int = DEFAULT_OPSET, source: dict | None = None,
                metadata: dict | None = None, images_dir: str | None = None, log=print) -> dict:
    """Export one part to ``out_dir`` in ``fmt`` (onnx or savedmodel), check it against Keras, write its card.

    Returns the model card (a dict); ``card["parity"]["ok"]`` tells whether the maximum absolute difference is
    within ``PARITY_LIMIT`` on every parity batch.
    """
    if fmt not in FORMATS:
        raise ExportError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if not (OPSET_RANGE[0] <= int(opset) <= OPSET_RANGE[1]):
        raise ExportError(f"--opset {opset}: tf2onnx converts to opsets {OPSET_RANGE[0]} to {OPSET_RANGE[1]}")
    if part.kind == "denoiser":  # two inputs, and the sampler's settings in the card
        from export.diffusion import export_denoiser

        return export_denoiser(part, out_dir, fmt, opset=opset, source=source, metadata=metadata,
                               images_dir=images_dir, log=log)
    os.makedirs(out_dir, exist_ok=True)
    original, model = part.model, part.model
    shape = input_shape(model)
    rebuilt_from = None
    if not is_float32(model):
        rebuilt_from = half_policy(model)
        model = float32_copy(model)
    kwargs = {**call_kwargs(model), **part.call_kwargs}
    if kwargs:
        model = bind_call_kwargs(model, kwargs)
    input_name = "z" if part.kind in LATENT_KINDS else "images"
    reference = [(desc, x, _call(model, x)) for desc, x in parity_inputs(part, shape, images_dir)]
    names = output_names(part, reference[0][2])
    path = os.path.join(out_dir, f"{part.name}.{'onnx' if fmt == 'onnx' else 'savedmodel'}")
    digest, checked = write_checked(part, model, fmt, path, input_name, shape, names, reference, opset, log,
                                    original=original if rebuilt_from is not None else None, kwargs=kwargs)
    card = model_card(part, model, fmt, path, digest, shape, input_name, names, reference[0][2], source, metadata)
    return save_card(card, checked, path, log)


def write_checked(part: Part, model, fmt, path, input_name, shape, names, reference, opset, log, original=None,
                  kwargs=None) -> tuple[str, dict]:
    """Write ``model`` to ``path`` in ``fmt``, run the file on each parity batch of ``reference`` [(description,
    input, Keras outputs)] and compare; ``original``: the half-precision model ``model`` is a float32 rebuild of.
    Returns (sha256, the card's parity, float32_rebuild and opset entries)."""
    rebuilt_from = half_policy(original) if original is not None else None
    if fmt == "onnx":
        write_onnx(model, path, input_name, shape, names, int(opset))
        runner, digest = _OnnxRunner(path), sha256_file(path)
    else:
        write_savedmodel(model, path, input_name, shape)
        runner, digest = _SavedModelRunner(path), sha256_tree(path)

    checks = []
    for desc, x, outputs in reference:
        expected, got = _flat(outputs), runner(x)
        if len(got) != len(expected) or any(g.shape != e.shape for g, e in zip(got, expected)):
            raise ExportError(f"{path}: outputs {[g.shape for g in got]}, Keras gives {[e.shape for e in expected]}")
        diff, ok = parity(expected, got)
        checks.append({"inputs": desc, "max_abs_diff": diff, "ok": ok})
    worst = max(c["max_abs_diff"] for c in checks)
    ok = all(c["ok"] for c in checks)
    log(f"parity {part.name} {fmt}: max |{fmt} - keras| = {worst:.3g} over {', '.join(c['inputs'] for c in checks)}"
        f" (limit {PARITY_LIMIT:g} x max(1, |output|)): {'ok' if ok else 'FAILED'}")
    mixed_note = None
    if original is not None:
        x = reference[0][1]
        gap = max(float(np.max(np.abs(a.astype(np.float64) - b)))
                  for a, b in zip(_flat(original(x, training=False, **(kwargs or {}))), _flat(_call(model, x))))
        mixed_note = {"policy": rebuilt_from or "float16 variables", "max_abs_diff_float32_vs_original": gap}
        log(f"  {part.name}: rebuilt in float32 from a {rebuilt_from} model; float32 vs {rebuilt_from} outputs "
            f"differ by up to {gap:.3g} (rounding of the half-precision original)")
    checked = {"parity": {"limit": PARITY_LIMIT, "rule": PARITY_RULE, "max_abs_diff": worst, "ok": ok,
                          "checks": checks}, "float32_rebuild": mixed_note}
    if fmt == "onnx":
        import onnx

        checked["opset"] = int(next(o.version for o in onnx.load(path).opset_import if o.domain in ("", "ai.onnx")))
    return digest, checked


def save_card(card: dict, checked: dict, path: str, log) -> dict:
    """Add ``write_checked``'s entries to ``card`` and write it beside ``path``; returns the card."""
    card.update(checked)
    write_json(path + ".json", card)
    _readable(path + ".json")
    log(f"{card['part']}: wrote {path} and its model card {path}.json")
    return card


def model_card(part: Part, model, fmt, path, digest, shape, input_name, names, outputs, source, metadata,
               io: tuple | None = None) -> dict:
    """The model card; ``io``: (inputs, outputs, preprocessing, postprocessing) for a kind described elsewhere."""
    import keras

    flat = _flat(outputs)
    if io is not None:
        inputs, outs, preprocessing, postprocessing = io
    elif part.kind in LATENT_KINDS:
        # The zoo's image convention is [-1, 1]; a model may declare otherwise with ``output_range``.
        lo, hi = image_range(part.model, attr="output_range")
        inputs = [{"name": input_name, "shape": list(shape), "dtype": "float32",
                   "range": "standard normal N(0, 1) latent vectors"}]
        outs = [{"name": names[0], "shape": [None, *flat[0].shape[1:]], "dtype": "float32", "range": [lo, hi]}]
        preprocessing = "z = numpy.random.default_rng(seed).standard_normal((n, latent_dim)).astype('float32')"
        shifted = "images" if lo == 0 else f"(images {'+' if lo < 0 else '-'} {abs(lo):g})"
        postprocessing = f"uint8 = clip(round({shifted} / {hi - lo:g} * 255), 0, 255)"
    else:
        lo, hi = image_range(part.model)
        inputs = [{"name": input_name, "shape": list(shape), "dtype": "float32", "range": [lo, hi],
                   "layout": "NHWC", "channels": "greyscale" if shape[3] == 1 else "RGB"}]
        outs = [{"name": n, "shape": [None, *f.shape[1:]], "dtype": "float32"} for n, f in zip(names, flat)]
        scale = {(-1.0, 1.0): "uint8 / 127.5 - 1", (0.0, 1.0): "uint8 / 255"}.get(
            (lo, hi), f"uint8 / 255 * {hi - lo:g} {'-' if lo < 0 else '+'} {abs(lo):g}")
        preprocessing = f"resize to {shape[1]}x{shape[2]}, {'greyscale' if shape[3] == 1 else 'RGB'}, images = {scale}"
        postprocessing = None
    meta = dict(metadata or {})
    card = {
        "format": fmt,
        "file": os.path.basename(path),
        "sha256": digest,
        "sha256_of": "file" if fmt == "onnx" else "each file's relative path and sha256, sorted",
        "part": part.name,
        "kind": part.kind,
        "class_name": type(part.model).__name__,
        "config": part.model.get_config(),
        "call_kwargs": {**call_kwargs(part.model), **part.call_kwargs},
        "inputs": inputs,
        "outputs": outs,
        "preprocessing": meta.get("preprocessing", preprocessing),
        "postprocessing": postprocessing,
        "source": source or {},
        "dataset": meta.get("dataset"),
        "resolution": meta.get("resolution"),
        "licence": meta.get("licence"),
        "training_command": meta.get("training_command"),
        "metrics": meta.get("metrics"),
        "exported_with": _versions(),
        "keras_version": keras.__version__,
    }
    if fmt == "savedmodel":
        card["signature"] = {"endpoint": "serve (also serving_default)", "input": input_name}
    return card


def _versions() -> dict:
    out = {}
    for name in ("keras", "tensorflow", "tf2onnx", "onnx", "onnxruntime"):
        try:
            out[name] = importlib.import_module(name).__version__
        except Exception:  # noqa: BLE001 - a missing optional package is simply not listed
            pass
    return out


def export_model(obj, out_dir: str, fmt: str, **kwargs) -> list[dict]:
    """Export every inference part of ``obj`` (model, composite or trainer); returns the model cards."""
    return [export_part(part, out_dir, fmt, **kwargs) for part in inference_parts(obj)]


# -------------------------------------------------------------------------------------------------- sources

def load_preset(name_or_dir: str):
    """(model, source, metadata) of a built-in preset or preset folder."""
    from zoo import registry

    model = registry.from_preset(name_or_dir)
    path = registry.resolve_preset(name_or_dir)
    meta = getattr(model, "preset_metadata", {}) or read_json(os.path.join(path, "metadata.json"))
    source = {"preset": name_or_dir, "path": os.path.abspath(path), "weights_sha256": meta.get("weights_sha256")}
    return model, source, meta


def load_run(run_dir: str):
    """(trainer, source, metadata) of a training run: its recipe's trainer with the newest checkpoint restored."""
    import keras

    from zoo.make_preset import LICENCES
    from zoo.runs import last_metrics
    from zoo.runs import load_run as reopen_run
    from zoo.training.checkpoint import latest_checkpoint

    previous = keras.config.dtype_policy()
    try:
        recipe, cfg, trainer = reopen_run(run_dir)
    except (FileNotFoundError, ValueError) as e:
        raise ExportError(f"--run {run_dir}: {e}") from e
    finally:  # a mixed-precision recipe sets the global policy; the export itself runs in float32
        keras.config.set_dtype_policy(previous)
    command = os.path.join(run_dir, "command.json")
    data = getattr(cfg, "data", None)
    meta = {"training_command": " ".join(read_json(command).get("argv", [])) if os.path.isfile(command) else None,
            "dataset": data, "resolution": getattr(cfg, "image_size", None),
            "metrics": {"final_logged": last_metrics(run_dir)}, "licence": LICENCES.get(data)}
    source = {"run": os.path.abspath(run_dir), "recipe": recipe.NAME,
              "checkpoint": os.path.abspath(latest_checkpoint(os.path.join(run_dir, "checkpoints"))),
              "step": trainer.completed_steps() if hasattr(trainer, "completed_steps") else None}
    return trainer, source, meta
