"""Exact rewrites of an exported ONNX graph that make it cheaper to run; the outputs stay those of the model.

    from export.onnx_passes import subpixel_conv_transpose
    proto = subpixel_conv_transpose(onnx.load("generator.onnx"))

``subpixel_conv_transpose`` turns each stride-s ``ConvTranspose`` whose output is exactly s times its input (Keras'
``Conv2DTranspose(padding="same")``) into one ordinary ``Conv`` per output phase followed by ``DepthToSpace``: the
sub-pixel convolution. Output pixel (s*m + a, s*n + b) of a transposed convolution only ever sees kernel taps
t = a + pad - s*d at input offset d, so each phase (a, b) is a small correlation with those taps; the s*s phase
outputs, stacked on the channel axis, are what ``DepthToSpace`` interleaves back. Same products, same count (no
zero taps), summed in another order: float32 outputs agree to rounding.
"""

from __future__ import annotations

import numpy as np


def _attrs(node) -> dict:
    import onnx

    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _phase_taps(kernel: int, stride: int, pad: int, phase: int) -> tuple[int, list[int]]:
    """(lowest input offset d, kernel taps for offsets d, d+1, ...) of output phase ``phase`` (0..stride-1)."""
    offsets = [d for d in range(-kernel, kernel + 1) if 0 <= phase + pad - stride * d < kernel]
    lo, hi = min(offsets), max(offsets)
    return lo, [phase + pad - stride * d for d in range(lo, hi + 1)]


def subpixel_weights(weight: np.ndarray, stride: int, pads: tuple[int, int, int, int]):
    """ConvTranspose weights [C_in, C_out, k, k] -> [(Conv weights [C_out, C_in, kh, kw], Conv pads)] per phase
    (a, b) in row-major order, the order ``DepthToSpace`` (mode DCR) reads its channel blocks in."""
    c_in, c_out, kh, kw = weight.shape
    out = []
    for a in range(stride):
        lo_h, taps_h = _phase_taps(kh, stride, pads[0], a)
        for b in range(stride):
            lo_w, taps_w = _phase_taps(kw, stride, pads[1], b)
            # Correlation weight [C_out, C_in, i, j] = transposed weight [C_in, C_out, tap_h(i), tap_w(j)].
            w = weight[:, :, taps_h][:, :, :, taps_w].transpose(1, 0, 2, 3)
            conv_pads = [-lo_h, -lo_w, lo_h + len(taps_h) - 1, lo_w + len(taps_w) - 1]
            out.append((np.ascontiguousarray(w), conv_pads))
    return out


def _rewritable(node, inits: dict) -> bool:
    if node.op_type != "ConvTranspose" or node.input[1] not in inits:
        return False
    a = _attrs(node)
    w = inits[node.input[1]]
    if w.ndim != 4 or a.get("group", 1) != 1 or any(d != 1 for d in a.get("dilations", [1, 1])):
        return False
    if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET") or "output_shape" in a \
            or any(a.get("output_padding", [0, 0])):
        return False
    strides, pads = a.get("strides", [1, 1]), a.get("pads", [0, 0, 0, 0])
    s = strides[0]
    # The output must be exactly s times the input: k - pad_begin - pad_end == s on both axes.
    return s > 1 and strides[1] == s and all(w.shape[2 + i] - pads[i] - pads[2 + i] == s for i in (0, 1)) \
        and all(0 <= p < k for p, k in zip(pads, [w.shape[2], w.shape[3]] * 2))


ACTIVATIONS = ("Relu", "Tanh", "Sigmoid", "LeakyRelu")


def _channel_constant(node, inits: dict, produced: str, channels: int):
    """The per-channel values [C] of a Mul/Add of ``produced`` (NCHW) by a constant, else None."""
    if node.op_type not in ("Mul", "Add") or len(node.input) != 2 or produced not in node.input:
        return None
    other = node.input[1] if node.input[0] == produced else node.input[0]
    value = inits.get(other)
    if value is None or value.ndim > 4 or value.size not in (1, channels):
        return None
    shape = (1,) * (4 - value.ndim) + value.shape
    if value.size == channels and channels > 1 and shape != (1, channels, 1, 1):
        return None  # not along the channel axis
    return np.broadcast_to(value.reshape(-1), (channels,)).astype(np.float32)


def _absorb(node, inits: dict, consumers: dict, graph_outputs: set, channels: int):
    """(scale [C], shift [C], activation node or None, nodes absorbed) for the chain that follows ``node``: the
    per-channel Mul/Add (a batch norm in inference, as tf2onnx writes it) and one activation. Each link must be the
    sole consumer of the previous output, which no one else (nor the graph's outputs) reads."""
    scale, shift = np.ones(channels, np.float32), np.zeros(channels, np.float32)
    absorbed, out = [], node.output[0]
    while out not in graph_outputs and len(consumers.get(out, [])) == 1:
        nxt = consumers[out][0]
        value = _channel_constant(nxt, inits, out, channels)
        if value is not None:
            scale, shift = (scale * value, shift * value) if nxt.op_type == "Mul" else (scale, shift + value)
        elif nxt.op_type in ACTIVATIONS:
            return scale, shift, nxt, absorbed + [nxt]
        else:
            break
        absorbed.append(nxt)
        out = nxt.output[0]
    return scale, shift, None, absorbed


def subpixel_conv_transpose(proto):
    """``proto`` (an onnx ModelProto) with every rewritable ConvTranspose as per-phase Convs + DepthToSpace.

    Changed in place and returned. A per-channel Mul/Add that follows (a batch norm) is folded into the phase
    weights and bias, and a following activation is applied to each phase before they are stacked, so that a
    runtime fuses it into the convolution (both commute with the interleaving). ConvTransposes that are not
    stride-s "same" upsamplings (groups, dilations, output padding, a weight computed at run time) are left alone.
    """
    import onnx
    from onnx import helper, numpy_helper

    graph = proto.graph
    inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    consumers = {}
    for node in graph.node:
        for name in set(node.input):
            consumers.setdefault(name, []).append(node)
    graph_outputs = {o.name for o in graph.output}
    nodes, skip = [], set()
    for node in graph.node:
        if id(node) in skip:
            continue
        if not _rewritable(node, inits):
            nodes.append(node)
            continue
        a = _attrs(node)
        s, pads = a["strides"][0], a.get("pads", [0, 0, 0, 0])
        weight = inits[node.input[1]]
        c_out = weight.shape[1]
        bias = inits.get(node.input[2]) if len(node.input) > 2 and node.input[2] else None
        if len(node.input) > 2 and node.input[2] and bias is None:
            nodes.append(node)  # a bias computed at run time: leave the node alone
            continue
        scale, shift, activation, absorbed = _absorb(node, inits, consumers, graph_outputs, c_out)
        skip.update(id(n) for n in absorbed)
        output = absorbed[-1].output[0] if absorbed else node.output[0]
        scaled = (weight * scale.reshape(1, -1, 1, 1)).astype(weight.dtype)
        new_bias = ((bias if bias is not None else 0.0) * scale + shift).astype(weight.dtype)
        base = node.name or node.output[0]
        b_name = f"{base}/subpixel_b"
        with_bias = bias is not None or bool(np.any(shift))
        if with_bias:
            graph.initializer.append(numpy_helper.from_array(new_bias, b_name))
        phases = []
        for k, (w, conv_pads) in enumerate(subpixel_weights(scaled, s, pads)):
            w_name = f"{base}/subpixel_w{k}"
            graph.initializer.append(numpy_helper.from_array(w, w_name))
            out = f"{base}/subpixel_phase{k}"
            nodes.append(helper.make_node("Conv", [node.input[0], w_name] + ([b_name] if with_bias else []), [out],
                                          name=out, kernel_shape=list(w.shape[2:]), pads=conv_pads,
                                          strides=[1, 1]))
            if activation is not None:
                act = helper.make_node(activation.op_type, [out], [out + "_act"], name=out + "_act")
                act.attribute.extend(activation.attribute)
                nodes.append(act)
                out = out + "_act"
            phases.append(out)
        stacked = f"{base}/subpixel_stack"
        nodes.append(helper.make_node("Concat", phases, [stacked], name=stacked, axis=1))
        nodes.append(helper.make_node("DepthToSpace", [stacked], [output], name=f"{base}/subpixel", blocksize=s,
                                      mode="DCR"))
    del graph.node[:]
    graph.node.extend(nodes)
    still_used = {i for n in graph.node for i in n.input}
    keep = [i for i in graph.initializer if i.name in still_used]
    del graph.initializer[:]
    graph.initializer.extend(keep)
    onnx.checker.check_model(proto)
    return proto
