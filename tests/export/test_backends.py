"""The runtime's session options are the ones it states, and the OpenVINO backend is float32-exact or, in
bfloat16, within the stated tolerance of Keras; a missing or unknown backend is named."""

from __future__ import annotations

import sys

import numpy as np
import pytest

pytest.importorskip("onnxruntime")

from export.runtime import BFLOAT16_MAX_DIFF, BFLOAT16_MEAN_DIFF, OnnxGenerator  # noqa: E402
from tests.export.conftest import inputs_for  # noqa: E402


@pytest.mark.parametrize("threads,spinning", [(1, False), (2, True)])
def test_onnx_runtime_session_options_are_applied(exported, threads, spinning):
    import onnxruntime as ort

    _, _, path = exported("dcgan_generator", "onnx")
    options = OnnxGenerator(path, threads, spinning=spinning).session.get_session_options()
    assert options.graph_optimization_level == ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    assert options.execution_mode == ort.ExecutionMode.ORT_SEQUENTIAL
    assert options.intra_op_num_threads == threads
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == ("1" if spinning else "0")


def test_missing_openvino_is_named(exported, monkeypatch):
    _, _, path = exported("dcgan_generator", "onnx")
    monkeypatch.setitem(sys.modules, "openvino", None)  # import openvino now raises ImportError
    with pytest.raises(ImportError, match=r'backend="openvino" needs OpenVINO.*facezoo\[openvino\]'):
        OnnxGenerator(path, backend="openvino")


@pytest.mark.parametrize("kwargs,message", [(dict(backend="tensorrt"), "backend must be one of onnxruntime, openvino"),
                                            (dict(precision="bfloat16"), "precision must be one of .'float32'. with "
                                                                         "backend 'onnxruntime'"),
                                            (dict(backend="openvino", precision="int8"), "precision must be one of")])
def test_unknown_backend_or_precision_is_refused(exported, kwargs, message):
    _, _, path = exported("dcgan_generator", "onnx")
    with pytest.raises(ValueError, match=message):
        OnnxGenerator(path, **kwargs)


def test_openvino_float32_matches_keras(exported):
    pytest.importorskip("openvino")
    model, _, path = exported("dcgan_generator", "onnx")
    generator = OnnxGenerator(path, 1, backend="openvino")
    # Left alone, OpenVINO would choose bfloat16 on a CPU with AVX512-BF16: the hint must say float32.
    assert str(generator.session.compiled.get_property("INFERENCE_PRECISION_HINT")) == "<Type: 'float32'>"
    assert generator.session.compiled.get_property("INFERENCE_NUM_THREADS") == 1
    z = inputs_for("dcgan_generator", 5, seed=4)
    np.testing.assert_allclose(generator.generate(z, batch_size=2), model(z).numpy(), rtol=0, atol=1e-5)
    assert generator.sample(3, seed=1).dtype == np.uint8


def test_openvino_bfloat16_stays_within_the_stated_tolerance(tmp_path):
    """On the shipped preset's trained weights (random tiny ones give outputs too small to judge), 64 latents."""
    ov = pytest.importorskip("openvino")
    if "BF16" not in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES"):
        pytest.skip("this CPU has no bfloat16 instructions (AVX512-BF16 or AMX) for OpenVINO to use")
    from export.exporter import write_onnx
    from zoo.registry import from_preset

    model = from_preset("dcgan_utkface_64")
    path = str(tmp_path / "generator.onnx")
    write_onnx(model, path, "z", (None, model.latent_dim), ["images"], 17)
    generator = OnnxGenerator(path, backend="openvino", precision="bfloat16")
    assert generator.session.compiled.get_property("INFERENCE_PRECISION_HINT") == ov.Type.bf16
    z = np.random.default_rng(0).standard_normal((64, model.latent_dim)).astype(np.float32)
    diff = np.abs(generator.generate(z) - model(z).numpy())
    assert diff.max() < BFLOAT16_MAX_DIFF and diff.mean() < BFLOAT16_MEAN_DIFF
    # And it really ran in bfloat16 (8-bit mantissa): float32 agrees to ~1e-6 (see the float32 test).
    assert diff.mean() > 1e-4
