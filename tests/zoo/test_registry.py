import json
import os

import numpy as np
import pytest

import zoo
from zoo.models.dcgan import DCGANGenerator
from zoo.registry import PresetError


def _model():
    g = DCGANGenerator(latent_dim=8, image_size=16, base_filters=4)
    g.build((None, 8))
    return g


def test_preset_round_trip_identical_outputs(tmp_path):
    g = _model()
    z = np.random.randn(3, 8).astype("float32")
    zoo.save_to_preset(g, str(tmp_path), {"dataset": "synthetic", "licence": "CC0"})
    meta = json.load(open(tmp_path / "metadata.json"))
    assert meta["class_name"] == "DCGANGenerator" and len(meta["weights_sha256"]) == 64
    g2 = zoo.from_preset(str(tmp_path))
    np.testing.assert_array_equal(np.asarray(g2(z)), np.asarray(g(z)))
    assert g2.preset_metadata["dataset"] == "synthetic"


def test_float16_storage_is_close(tmp_path):
    g = _model()
    z = np.random.randn(3, 8).astype("float32")
    zoo.save_to_preset(g, str(tmp_path), weights_dtype="float16")
    np.testing.assert_allclose(np.asarray(zoo.from_preset(str(tmp_path))(z)), np.asarray(g(z)), atol=2e-2)


def test_sha256_mismatch_is_rejected(tmp_path):
    zoo.save_to_preset(_model(), str(tmp_path))
    with open(tmp_path / "weights.npz", "r+b") as f:
        f.seek(-10, os.SEEK_END)
        f.write(b"0123456789")
    with pytest.raises(PresetError, match="sha256"):
        zoo.from_preset(str(tmp_path))


def test_unknown_and_incomplete_presets(tmp_path):
    with pytest.raises(PresetError, match="unknown preset"):
        zoo.from_preset("no_such_preset")
    zoo.save_to_preset(_model(), str(tmp_path))
    os.remove(tmp_path / "config.json")
    with pytest.raises(PresetError, match="config.json is missing"):
        zoo.from_preset(str(tmp_path))


def test_builtin_presets_load_and_generate():
    for name in zoo.list_presets():
        model = zoo.from_preset(name)
        meta = model.preset_metadata
        for key in ("dataset", "resolution", "training_command", "licence", "weights_sha256"):
            assert key in meta, (name, key)
