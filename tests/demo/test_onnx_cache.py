import os
import shutil

import numpy as np
import pytest

from demo import core, onnx_cache

pytest.importorskip("tf2onnx")
pytest.importorskip("onnxruntime")


@pytest.fixture()
def onnx_on(monkeypatch, tmp_path):
    monkeypatch.setenv("FACEZOO_DEMO_ONNX", "1")
    monkeypatch.setenv("FACEZOO_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(onnx_cache, "_runners", {})
    monkeypatch.setattr(onnx_cache, "_exports", {})
    monkeypatch.setattr(onnx_cache, "_failed", {})


def test_generator_is_exported_on_first_use_and_then_answers_like_keras(generator_preset, onnx_on, tmp_path):
    preset = str(tmp_path / "g")
    shutil.copytree(generator_preset, preset)
    path = onnx_cache.onnx_path(preset)
    assert path.startswith(str(tmp_path / "cache" / "onnx")) and not os.path.exists(path)
    z = core.seed_latents(8, range(4))
    keras_images = core.render(preset, z, backend="keras")
    runner = onnx_cache.runner(preset, wait=True)
    assert runner is not None and os.path.isfile(path) and onnx_cache.status(preset) == "ONNX Runtime"
    np.testing.assert_allclose(core.render(preset, z), keras_images, atol=1e-4)
    assert not [f for f in os.listdir(os.path.dirname(os.path.dirname(path))) if f.startswith(".tmp-")]
    # new weights, new cache entry: a stale export is never used for a changed preset
    with np.load(os.path.join(preset, "weights.npz")) as w:
        arrays = {k: w[k] * 2 for k in w.files}
    np.savez(os.path.join(preset, "weights.npz"), **arrays)
    assert onnx_cache.onnx_path(preset) != path


def test_a_failed_export_leaves_the_demo_on_keras(generator_preset, onnx_on, monkeypatch):
    import export.exporter

    def fail(*args, **kwargs):
        raise RuntimeError("no converter for this op")

    monkeypatch.setattr(export.exporter, "export_part", fail)
    z = core.seed_latents(8, range(2))
    assert onnx_cache.runner(generator_preset, wait=True) is None
    assert "ONNX export failed: RuntimeError: no converter" in onnx_cache.status(generator_preset)
    np.testing.assert_array_equal(core.render(generator_preset, z), core.render(generator_preset, z, backend="keras"))
