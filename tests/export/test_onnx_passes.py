"""The sub-pixel rewrite of transposed convolutions is exact: same outputs as ONNX Runtime's ConvTranspose and
as Keras, for every kernel/stride/padding it accepts, and it leaves the others alone."""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from export.onnx_passes import subpixel_conv_transpose  # noqa: E402
from tests.export.conftest import inputs_for  # noqa: E402


def _conv_transpose_model(weight, bias, **attrs):
    """x [1, C_in, 5, 7] -> ConvTranspose(x) as a one-node ONNX model."""
    c_in = weight.shape[0]
    inits = [numpy_helper.from_array(weight, "w")] + ([numpy_helper.from_array(bias, "b")] if bias is not None else [])
    node = helper.make_node("ConvTranspose", ["x", "w"] + (["b"] if bias is not None else []), ["y"], name="up",
                            **attrs)
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, c_in, 5, 7])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, weight.shape[1], "h", "w"])],
                              inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _run(proto, x):
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


# (kernel, stride, pads [top, left, bottom, right]): Keras' "same" for kernels 4 and 3 (tf2onnx writes the odd
# padding at the end), an uneven split, a kernel equal to the stride, stride 3.
CASES = [(4, 2, [1, 1, 1, 1]), (3, 2, [0, 0, 1, 1]), (3, 2, [1, 1, 0, 0]), (5, 2, [1, 2, 2, 1]), (2, 2, [0] * 4),
         (5, 3, [1, 1, 1, 1])]


@pytest.mark.parametrize("kernel,stride,pads", CASES)
@pytest.mark.parametrize("with_bias", [False, True])
def test_subpixel_rewrite_equals_conv_transpose(kernel, stride, pads, with_bias):
    rng = np.random.default_rng(kernel * 10 + stride)
    # Asymmetric values everywhere (non-square input, C_in != C_out, random taps): a flipped, transposed or
    # misplaced tap or phase changes the output.
    weight = rng.standard_normal((3, 5, kernel, kernel)).astype(np.float32)
    bias = rng.standard_normal(5).astype(np.float32) if with_bias else None
    x = rng.standard_normal((1, 3, 5, 7)).astype(np.float32)
    proto = _conv_transpose_model(weight, bias, kernel_shape=[kernel, kernel], strides=[stride, stride], pads=pads)
    expected = _run(proto, x)
    rewritten = subpixel_conv_transpose(onnx.load_from_string(proto.SerializeToString()))
    ops = [n.op_type for n in rewritten.graph.node]
    assert "ConvTranspose" not in ops and ops.count("Conv") == stride * stride and ops[-1] == "DepthToSpace"
    out = _run(rewritten, x)
    assert out.shape == expected.shape == (1, 5, 5 * stride, 7 * stride)
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-5)


@pytest.mark.parametrize("attrs", [dict(strides=[2, 2], pads=[0, 0, 0, 0]),  # output 2H + 2: not an upsampling
                                   dict(strides=[2, 2], pads=[1, 1, 1, 1], dilations=[2, 2]),
                                   dict(strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1]),
                                   dict(strides=[1, 1], pads=[1, 1, 2, 2])])
def test_conv_transposes_it_cannot_rewrite_exactly_are_left_alone(attrs):
    weight = np.random.default_rng(0).standard_normal((3, 5, 4, 4)).astype(np.float32)
    proto = _conv_transpose_model(weight, None, kernel_shape=[4, 4], **attrs)
    rewritten = subpixel_conv_transpose(onnx.load_from_string(proto.SerializeToString()))
    assert [n.op_type for n in rewritten.graph.node] == ["ConvTranspose"]


def _keras_parity(model, path, z):
    proto = subpixel_conv_transpose(onnx.load(path))
    assert not [n for n in proto.graph.node if n.op_type == "ConvTranspose"]
    np.testing.assert_allclose(_run(proto, z), model(z).numpy(), rtol=0, atol=1e-5)


def test_rewritten_dcgan_generator_matches_keras(exported):
    model, _, path = exported("dcgan_generator", "onnx")
    _keras_parity(model, path, inputs_for("dcgan_generator", 4, seed=3))


def test_rewritten_conv_vae_decoder_matches_keras(tmp_path):
    """Kernel 3, stride 2, "same": tf2onnx pads the odd pixel at the end."""
    import keras

    from export.exporter import write_onnx
    from zoo.models.vae import ConvVAEDecoder

    keras.utils.set_random_seed(0)
    model = ConvVAEDecoder(latent_dim=8, image_size=16, channels=3, base_filters=4, dense_units=8)
    model.build((None, 8))
    model.set_weights([w + 0.05 for w in model.get_weights()])  # non-zero biases
    path = str(tmp_path / "decoder.onnx")
    write_onnx(model, path, "z", (None, 8), ["images"], 17)
    _keras_parity(model, path, np.random.default_rng(1).standard_normal((3, 8)).astype(np.float32))


# Which tensor the graph also outputs -> (Mul, Add, LeakyRelu) nodes left after the rewrite.
@pytest.mark.parametrize("also_read,left", [(None, (0, 0, 4)), ("t", (1, 1, 1)), ("m", (0, 1, 1))])
def test_batch_norm_and_activation_after_the_conv_transpose_are_absorbed_only_when_nothing_else_reads_them(
        also_read, left):
    rng = np.random.default_rng(5)
    weight = rng.standard_normal((3, 4, 4, 4)).astype(np.float32)
    scale, shift = (rng.uniform(-2, 2, (1, 4, 1, 1)).astype(np.float32) for _ in range(2))
    nodes = [helper.make_node("ConvTranspose", ["x", "w"], ["t"], kernel_shape=[4, 4], strides=[2, 2],
                              pads=[1, 1, 1, 1]),
             helper.make_node("Mul", ["t", "scale"], ["m"]), helper.make_node("Add", ["shift", "m"], ["a"]),
             helper.make_node("LeakyRelu", ["a"], ["y"], alpha=0.3)]
    outputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [1, 4, 10, 14])
               for n in ["y"] + ([also_read] if also_read else [])]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 5, 7])],
                              outputs, [numpy_helper.from_array(v, n) for v, n in
                                        ((weight, "w"), (scale, "scale"), (shift, "shift"))])
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    x = rng.standard_normal((1, 3, 5, 7)).astype(np.float32)
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    expected = session.run(None, {"x": x})
    rewritten = subpixel_conv_transpose(onnx.load_from_string(proto.SerializeToString()))
    ops = [n.op_type for n in rewritten.graph.node]
    # Absorbed: the scale and shift live in the phase weights and the activation runs on each phase (4 phases). A
    # tensor also read elsewhere ends the chain: the DepthToSpace produces it and what follows stays.
    assert (ops.count("Mul"), ops.count("Add"), ops.count("LeakyRelu")) == left
    got = ort.InferenceSession(rewritten.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=0, atol=1e-5)
