"""Convert MediaPipe's selfie segmentation network (Apache-2.0) to the ONNX file facezoo ships.

A development step, run once; its output ``zoo/segmentation/weights/selfie_segmentation.onnx`` is committed:

    pip download mediapipe==0.10.21 --no-deps -d /tmp/mp        # the wheel only; never install it (numpy<2)
    python -m zoo.segmentation.convert /tmp/mp/mediapipe-0.10.21-*.whl zoo/segmentation/weights

tf2onnx converts every op of the .tflite but MediaPipe's custom ``Convolution2DTransposeBias`` (a transposed
convolution with a bias, OHWI weights, options = raw int32 [padding, stride_w, stride_h]); this script replaces
that node with an ONNX ``ConvTranspose``. Checks, printed as maximum absolute differences on real-looking inputs:
the ONNX graph up to that op against TFLite's own interpreter on the .tflite cut before the op (the interpreter
cannot run the custom op), and the ONNX output against a numpy reference of the op (MediaPipe's
transpose_conv_bias.cc loop, vectorised) followed by the sigmoid.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import zipfile

import numpy as np

MEMBER = "mediapipe/modules/selfie_segmentation/selfie_segmentation.tflite"
CUSTOM_OP = "Convolution2DTransposeBias"
ONNX_NAME = "selfie_segmentation.onnx"


def extract_tflite(wheel: str, folder: str) -> tuple[str, str]:
    """The .tflite and the wheel's LICENSE text, extracted from the mediapipe wheel into ``folder``."""
    with zipfile.ZipFile(wheel) as z:
        licence = next(n for n in z.namelist() if n.endswith(".dist-info/LICENSE"))
        tflite = z.extract(MEMBER, folder)
        return tflite, z.read(licence).decode()


def _custom_op(tflite_path: str):
    """(operator index, ModelT, its custom options as int32 [padding, stride_w, stride_h])."""
    from tensorflow.lite.python import schema_py_generated as schema

    with open(tflite_path, "rb") as f:
        model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(f.read(), 0))
    codes = [c.customCode.decode() if c.customCode else None for c in model.operatorCodes]
    ops = model.subgraphs[0].operators
    index = next(i for i, op in enumerate(ops) if codes[op.opcodeIndex] == CUSTOM_OP)
    options = np.frombuffer(bytes(bytearray(ops[index].customOptions)), "<i4")
    return index, model, options


def cut_before_custom_op(tflite_path: str, out_path: str) -> str:
    """A copy of the .tflite whose output is the custom op's input (the op and what follows removed)."""
    import flatbuffers
    from tensorflow.lite.python import schema_py_generated as schema

    index, model, _ = _custom_op(tflite_path)
    graph = model.subgraphs[0]
    graph.outputs = [graph.operators[index].inputs[0]]
    graph.operators = graph.operators[:index]
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    with open(out_path, "wb") as f:
        f.write(builder.Output())
    return out_path


def transpose_conv_bias(x, weights, bias, stride: tuple[int, int], same_padding: bool):
    """Numpy reference of the custom op: x [N, H, W, I], weights [O, kh, kw, I], bias [O] -> [N, H', W', O]."""
    n, h, w, _ = x.shape
    o, kh, kw, _ = weights.shape
    sh, sw = stride
    pad_h = max(0, kh - (h - 1) % sh - 1) if same_padding else 0
    pad_w = max(0, kw - (w - 1) % sw - 1) if same_padding else 0
    out_h, out_w = sh * (h - 1) + kh - pad_h, sw * (w - 1) + kw - pad_w
    full = np.zeros((n, sh * (h - 1) + kh, sw * (w - 1) + kw, o), np.float64)
    for fy in range(kh):
        for fx in range(kw):
            full[:, fy:fy + sh * h:sh, fx:fx + sw * w:sw, :] += np.einsum("nhwi,oi->nhwo", x, weights[:, fy, fx, :])
    top, left = pad_h // 2, pad_w // 2
    return (full[:, top:top + out_h, left:left + out_w, :] + bias).astype(np.float32)


def convert(tflite_path: str, opset: int = 17):
    """The ONNX ModelProto of the .tflite, the custom op replaced by ConvTranspose (+ its bias)."""
    import onnx
    import tf2onnx
    from onnx import helper, numpy_helper

    _, _, (padding, stride_w, stride_h) = _custom_op(tflite_path)
    proto, _ = tf2onnx.convert.from_tflite(tflite_path, opset=opset)
    graph = proto.graph
    index = next(i for i, n in enumerate(graph.node) if n.op_type == "TFL_" + CUSTOM_OP)
    node = graph.node[index]
    x_name, w_name, b_name = node.input
    inits = {t.name: t for t in graph.initializer}
    weights = numpy_helper.to_array(inits[w_name]).astype(np.float32)  # OHWI
    kh, kw = weights.shape[1:3]
    if padding == 1 and (kh > stride_h or kw > stride_w):
        raise ValueError(f"SAME padding with kernel {kh}x{kw} > stride {stride_h}x{stride_w} is not handled")
    graph.initializer.extend([
        numpy_helper.from_array(weights.transpose(3, 0, 1, 2).copy(), "convT_weights"),  # ONNX: [I, O, kh, kw]
        numpy_helper.from_array(numpy_helper.to_array(inits[b_name]).astype(np.float32), "convT_bias")])
    out = node.output[0]
    new = [helper.make_node("Transpose", [x_name], ["convT_in"], perm=[0, 3, 1, 2]),
           helper.make_node("ConvTranspose", ["convT_in", "convT_weights", "convT_bias"], ["convT_out"],
                            strides=[int(stride_h), int(stride_w)], kernel_shape=[int(kh), int(kw)]),
           helper.make_node("Transpose", ["convT_out"], [out], perm=[0, 2, 3, 1])]
    del graph.node[index]
    for k, n in enumerate(new):
        graph.node.insert(index + k, n)
    used = {i for n in graph.node for i in n.input}
    keep = [t for t in graph.initializer if t.name in used]
    del graph.initializer[:]
    graph.initializer.extend(keep)
    proto.producer_name = "facezoo zoo.segmentation.convert (from MediaPipe selfie_segmentation.tflite)"
    onnx.checker.check_model(proto)
    return proto, x_name, (weights, numpy_helper.to_array(inits[b_name]), (int(stride_h), int(stride_w)),
                           padding == 1)


def check(tflite_path: str, proto, op_input: str, op_params, inputs) -> dict:
    """Max |difference|: ONNX vs TFLite before the custom op, and ONNX vs numpy reference after it."""
    import onnx
    import onnxruntime as ort
    import tensorflow as tf
    from scipy.special import expit

    probe = onnx.ModelProto()
    probe.CopyFrom(proto)
    probe.graph.output.append(onnx.helper.make_tensor_value_info(op_input, onnx.TensorProto.FLOAT, None))
    sess = ort.InferenceSession(probe.SerializeToString(), providers=["CPUExecutionProvider"])
    with tempfile.TemporaryDirectory() as tmp:
        interp = tf.lite.Interpreter(model_path=cut_before_custom_op(tflite_path, os.path.join(tmp, "cut.tflite")))
        interp.allocate_tensors()
        before, after = 0.0, 0.0
        for x in inputs:
            final, hidden = sess.run(None, {sess.get_inputs()[0].name: x[None]})
            interp.set_tensor(interp.get_input_details()[0]["index"], x[None])
            interp.invoke()
            ref_hidden = interp.get_tensor(interp.get_output_details()[0]["index"])
            weights, bias, stride, same = op_params
            ref_final = expit(transpose_conv_bias(ref_hidden, weights, bias, stride, same))
            before = max(before, float(np.abs(hidden - ref_hidden).max()))
            after = max(after, float(np.abs(final - ref_final).max()))
    return {"before_custom_op": before, "output": after}


def _test_inputs(count: int = 4):
    """[256, 256, 3] float32 in [0, 1]: synthetic faces (the zoo's own renderer) and noise."""
    from zoo.data.synthetic import render_faces

    faces = render_faces(0, count, 256, seed=0).images.astype(np.float32) / 255.0
    noise = np.random.default_rng(0).random((1, 256, 256, 3), dtype=np.float32)
    return list(faces) + list(noise)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m zoo.segmentation.convert", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("wheel", help="mediapipe-0.10.21-*.whl (pip download mediapipe==0.10.21 --no-deps)")
    parser.add_argument("out", help="folder for selfie_segmentation.onnx and LICENCE")
    args = parser.parse_args(argv)
    import onnx

    with tempfile.TemporaryDirectory() as tmp:
        tflite, licence = extract_tflite(args.wheel, tmp)
        proto, op_input, op_params = convert(tflite)
        diffs = check(tflite, proto, op_input, op_params, _test_inputs())
        os.makedirs(args.out, exist_ok=True)
        from zoo.utils.io import atomic_path, sha256_file

        target = os.path.join(args.out, ONNX_NAME)
        with atomic_path(target) as t:
            onnx.save(proto, t)
        with atomic_path(os.path.join(args.out, "LICENCE")) as t, open(t, "w") as f:
            f.write(licence)
        print(f"wrote {target} ({os.path.getsize(target)} bytes, sha256 {sha256_file(target)}) from "
              f"{os.path.basename(args.wheel)}:{MEMBER} (sha256 {sha256_file(tflite)})")
    print(f"max |ONNX - TFLite| before the custom op: {diffs['before_custom_op']:.3g}; "
          f"max |ONNX - numpy reference| of the mask: {diffs['output']:.3g}")
    return 0 if max(diffs.values()) < 1e-3 else 1


if __name__ == "__main__":
    sys.exit(main())
