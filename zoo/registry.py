"""Presets: a model's config, weights and metadata in one folder, loadable by name or path.

A preset folder holds::

    config.json     the Keras-serialized model (class and constructor arguments; no code)
    weights.npz     the model's weights in order (float32, or float16 to halve the size), no pickle
    metadata.json   dataset, resolution, training command, metrics, licence, sha256 of weights.npz, ...
    discriminator/  optional (``make_preset --with-discriminator``): the run's discriminator, the same three files,
                    for fine-tuning (``--init-from``); ``preset_part(name, "discriminator")`` loads it

Built-in presets ship inside the package (``zoo/presets/<name>/``) and are listed by the families'
``<family>_presets.py`` modules. ``from_preset`` refuses a folder whose weights do not match their sha256.
"""

from __future__ import annotations

import importlib
import json
import os
import zipfile

import numpy as np

from zoo.utils.io import atomic_path, sha256_file, write_json

PRESET_DIR = os.path.join(os.path.dirname(__file__), "presets")
MODELS_DIR = os.path.join(os.path.dirname(__file__), "models")


class PresetError(ValueError):
    """A preset is unknown, incomplete or fails its integrity check."""


def _read_preset_json(path: str) -> dict:
    """A preset's JSON file as a dict, or a PresetError naming the file (not text, not JSON, not an object)."""
    try:
        with open(path, encoding="utf-8") as f:
            value = json.load(f)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise PresetError(f"preset file {path} is not valid JSON ({e}); the preset is corrupt") from e
    if not isinstance(value, dict):
        raise PresetError(f"preset file {path} is not valid JSON for a preset: expected an object, got "
                          f"{type(value).__name__}")
    return value


def _preset_modules() -> list[str]:
    """Every ``zoo/models/<family>/<family>_presets.py``: each declares ``PRESETS = {name: {"description"}}``."""
    found = []
    for family in sorted(os.listdir(MODELS_DIR)):
        folder = os.path.join(MODELS_DIR, family)
        if os.path.isdir(folder):
            found += [f"zoo.models.{family}.{f[:-3]}" for f in sorted(os.listdir(folder)) if f.endswith("_presets.py")]
    return found


def _builtin() -> dict[str, dict]:
    out = {}
    for module in _preset_modules():
        for name, info in importlib.import_module(module).PRESETS.items():
            out[name] = {**info, "path": os.path.join(PRESET_DIR, name)}
    return out


def list_presets(with_description: bool = False):
    """Names of the built-in presets whose files are installed (sorted); with descriptions as a dict."""
    found = {n: i for n, i in _builtin().items() if os.path.isfile(os.path.join(i["path"], "metadata.json"))}
    if with_description:
        return {n: found[n].get("description", "") for n in sorted(found)}
    return sorted(found)


def resolve_preset(name_or_dir: str) -> str:
    """The folder of a preset given by built-in name or by path."""
    builtin = _builtin()
    if name_or_dir in builtin:
        path = builtin[name_or_dir]["path"]
        if not os.path.isfile(os.path.join(path, "metadata.json")):
            raise PresetError(f"built-in preset {name_or_dir!r} is declared but its files are missing from "
                              f"{path}; reinstall facezoo")
        return path
    if os.path.isdir(name_or_dir):
        return name_or_dir
    raise PresetError(f"unknown preset {name_or_dir!r}: not a built-in preset ({', '.join(list_presets()) or 'none'}"
                      f") and not a folder")


def save_to_preset(model, preset_dir: str, metadata: dict | None = None, weights_dtype: str = "float32") -> str:
    """Write ``model`` (a registered-serializable Keras model) to ``preset_dir``; returns the folder.

    ``metadata`` should give at least dataset, resolution, training command, metrics and licence; the
    sha256 of the weights, the model class, the weight dtype and the parameter count are added here.
    """
    import keras

    if weights_dtype not in ("float32", "float16"):
        raise ValueError(f"weights_dtype must be float32 or float16, got {weights_dtype!r}")
    if not model.built:
        raise PresetError(f"{model.name} is not built; call it on an input first")
    os.makedirs(preset_dir, exist_ok=True)
    config = keras.saving.serialize_keras_object(model)
    with atomic_path(os.path.join(preset_dir, "config.json")) as tmp, open(tmp, "w") as f:
        json.dump(config, f, indent=2)
    weights = model.get_weights()
    arrays = {f"w{i:04d}": (w.astype(weights_dtype) if np.issubdtype(w.dtype, np.floating) else w)
              for i, w in enumerate(weights)}
    weights_path = os.path.join(preset_dir, "weights.npz")
    with atomic_path(weights_path) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)
    meta = dict(metadata or {})
    meta.update({
        "class_name": type(model).__name__,
        "weights_dtype": weights_dtype,
        "parameters": int(sum(int(np.prod(w.shape)) for w in weights)),
        "weights_sha256": sha256_file(weights_path),
        "keras_version": keras.__version__,
    })
    write_json(os.path.join(preset_dir, "metadata.json"), meta)
    return preset_dir


def load_preset_metadata(name_or_dir: str) -> dict:
    return _read_preset_json(os.path.join(resolve_preset(name_or_dir), "metadata.json"))


def from_preset(name_or_dir: str):
    """Load a preset by built-in name or folder; the weights' sha256 must match its metadata."""
    return _load_preset(resolve_preset(name_or_dir), check_pins=True)


PARTS = ("discriminator",)  # the parts a preset may carry beside its main model, each in a sub-folder of that name


def preset_part(name_or_dir: str, part: str):
    """The model a preset carries beside its main one (``part``: one of ``PARTS``), loaded as ``from_preset`` loads
    the main model, or None when the preset carries none. Its weights' sha256 must match both its own metadata and
    the one the main metadata.json records for it; a built-in preset's sub-folder files are pinned with the rest."""
    from zoo.preset_pins import verify_builtin

    if part not in PARTS:
        raise PresetError(f"unknown preset part {part!r}; a preset can carry {', '.join(PARTS)}")
    path = resolve_preset(name_or_dir)
    verify_builtin(path)  # the pins cover the sub-folder's files; a sub-folder alone is not a built-in path
    recorded = _read_preset_json(os.path.join(path, "metadata.json")).get(part)
    folder = os.path.join(path, part)
    if recorded is None and not os.path.isdir(folder):
        return None
    if recorded is None:
        raise PresetError(f"preset {path}: {folder} is not recorded in its metadata.json; the preset was changed")
    if not os.path.isdir(folder):
        raise PresetError(f"preset {path}: metadata.json records a {part} but {folder} is missing; the preset is "
                          f"incomplete")
    model = _load_preset(folder, check_pins=False)
    if model.preset_metadata["weights_sha256"] != recorded.get("weights_sha256"):
        raise PresetError(f"preset {path}: {part}/weights.npz has sha256 {model.preset_metadata['weights_sha256']} but "
                          f"the preset's metadata.json records {recorded.get('weights_sha256')}; the part was changed")
    return model


def _load_preset(path: str, check_pins: bool):
    """``from_preset`` on a folder; ``check_pins=False`` only for ``make_preset``'s check of a preset it has just
    written (a new built-in preset is pinned after it is written; its metadata's sha256 is still checked)."""
    import keras

    from zoo.preset_pins import verify_builtin

    for f in ("config.json", "weights.npz", "metadata.json"):
        if not os.path.isfile(os.path.join(path, f)):
            raise PresetError(f"preset {path} is incomplete: {f} is missing")
    if check_pins:
        verify_builtin(path)  # built-in presets must match the sha256 pinned in the package's code
    meta = _read_preset_json(os.path.join(path, "metadata.json"))
    weights_path = os.path.join(path, "weights.npz")
    digest = sha256_file(weights_path)
    if digest != meta.get("weights_sha256"):
        raise PresetError(f"preset {path}: weights.npz has sha256 {digest} but metadata.json says "
                          f"{meta.get('weights_sha256')}; the file is corrupt or was changed")
    import_model_families()
    config = _read_preset_json(os.path.join(path, "config.json"))
    build_shape = config.get("build_config", {}).get("input_shape")
    if build_shape is None:
        raise PresetError(f"preset {path}: config.json has no build_config; re-save the model after building it")
    model = keras.saving.deserialize_keras_object(config, safe_mode=True)
    if not model.built:  # deserialising builds from build_config; building again would re-create weights
        model.build(tuple(build_shape))
    try:
        with np.load(weights_path, allow_pickle=False) as data:
            values = [data[k] for k in sorted(data.files)]
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as e:  # object arrays need pickle: refused
        raise PresetError(f"preset {path}: weights.npz is not a plain numeric weights archive (no pickle is "
                          f"loaded): {e}") from e
    current = model.get_weights()
    if len(values) != len(current):
        raise PresetError(f"preset {path}: {len(values)} weight arrays for a model with {len(current)}")
    model.set_weights([v.astype(c.dtype) for v, c in zip(values, current)])
    model.preset_metadata = meta
    return model


def import_model_families() -> None:
    """Import every model family package (each folder of ``zoo/models`` with an ``__init__.py``, whether or not it has
    presets), so that all their classes are registered for deserialization."""
    for family in sorted(os.listdir(MODELS_DIR)):
        if os.path.isfile(os.path.join(MODELS_DIR, family, "__init__.py")):
            importlib.import_module(f"zoo.models.{family}")


def load_keras_model(path: str):
    """A ``.keras`` model file of any zoo family, loaded without executing code (``safe_mode``)."""
    import keras

    import_model_families()
    return keras.saving.load_model(path, safe_mode=True, compile=False)
