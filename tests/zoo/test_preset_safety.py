"""Corrupt or tampered presets end in a PresetError naming the file; built-in presets are pinned in code."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest

import zoo
from zoo import preset_pins, registry
from zoo.models.dcgan import DCGANGenerator
from zoo.registry import PresetError
from zoo.utils.io import sha256_file


def _preset(tmp_path) -> str:
    g = DCGANGenerator(latent_dim=8, image_size=16, base_filters=4)
    g.build((None, 8))
    return zoo.save_to_preset(g, str(tmp_path / "p"), {"dataset": "synthetic"})


def test_config_that_is_not_json_names_the_file(tmp_path):
    path = _preset(tmp_path)
    with open(os.path.join(path, "config.json"), "w") as f:
        f.write('{"class_name": "DCGANGenerator", ')  # cut short
    with pytest.raises(PresetError, match=r"config\.json.*not valid JSON"):
        zoo.from_preset(path)


def test_metadata_that_is_not_text_names_the_file(tmp_path):
    path = _preset(tmp_path)
    with open(os.path.join(path, "metadata.json"), "wb") as f:
        f.write(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(PresetError, match=r"metadata\.json.*not valid JSON"):
        zoo.from_preset(path)
    with pytest.raises(PresetError, match=r"metadata\.json"):
        zoo.load_preset_metadata(path)


def test_pickled_weights_are_refused_without_unpickling(tmp_path):
    path = _preset(tmp_path)
    weights = os.path.join(path, "weights.npz")
    with open(weights, "wb") as f:  # an object array needs pickle to load
        np.savez(f, w0000=np.array([{"a": 1}, None], dtype=object))
    meta_path = os.path.join(path, "metadata.json")
    meta = json.load(open(meta_path))
    meta["weights_sha256"] = sha256_file(weights)  # the attacker updates the sha256 beside it too
    json.dump(meta, open(meta_path, "w"))
    with pytest.raises(PresetError, match=r"weights\.npz.*pickle"):
        zoo.from_preset(path)


def test_builtin_pins_match_the_installed_files():
    diff = preset_pins.differences()
    assert not diff, ("the built-in presets differ from the sha256 pinned in zoo/preset_sha256.py; after adding or "
                      "replacing a preset on purpose, regenerate the pins with `python -m zoo.preset_pins` and "
                      "commit zoo/preset_sha256.py:\n" + "\n".join(diff))


def test_tampered_builtin_preset_is_refused_even_with_its_metadata_updated(tmp_path, monkeypatch):
    name = "classifier_gender_utkface_48"
    if name not in zoo.list_presets():
        pytest.skip(f"{name} is not installed")
    root = tmp_path / "presets"
    shutil.copytree(os.path.join(registry.PRESET_DIR, name), root / name)
    monkeypatch.setattr(registry, "PRESET_DIR", str(root))
    zoo.from_preset(name)  # an intact copy loads

    weights = root / name / "weights.npz"
    with np.load(weights) as data:
        arrays = {k: data[k] for k in data.files}
    first = sorted(arrays)[0]
    arrays[first] = arrays[first] + 1  # plausible but different weights
    with open(weights, "wb") as f:
        np.savez(f, **arrays)
    meta = json.loads((root / name / "metadata.json").read_text())
    meta["weights_sha256"] = sha256_file(str(weights))
    (root / name / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(PresetError, match=r"weights\.npz has sha256 .* but the package pins"):
        zoo.from_preset(name)
    with pytest.raises(PresetError, match="package pins"):
        zoo.from_preset(str(root / name))  # by path too: the folder is the built-in one


def test_write_pins_round_trip(tmp_path):
    src = _preset(tmp_path)
    root = tmp_path / "presets"
    shutil.copytree(src, root / "tiny")
    module = tmp_path / "pins.py"
    pins = preset_pins.write_pins(str(root), str(module))
    scope = {}
    exec(module.read_text(), scope)  # the generated module is plain Python holding the same dict
    assert scope["PINS"] == pins == {"tiny": {"config.json": sha256_file(str(root / "tiny" / "config.json")),
                                              "weights.npz": sha256_file(str(root / "tiny" / "weights.npz"))}}
