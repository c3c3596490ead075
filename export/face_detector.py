"""MTCNN's three networks (``zoo.data.face_detector``) written to ONNX, with the card the TensorFlow-free runtime
(``export.runtime_face``) reads: the mtcnn version and licence, the pipeline's settings, the alignment template.

    python -m export face-detector DIR            # DIR/pnet.onnx, rnet.onnx, onet.onnx, face_detector.json

The files shipped in ``export/face_detector/`` were written by this command (``LICENCE`` there is the mtcnn
package's MIT licence, copied from its wheel). Each network is converted by the
exporter's own ``write_onnx`` and checked against TensorFlow on random inputs (the largest difference is recorded in
the card; an export above ``PARITY_LIMIT`` fails).
"""

from __future__ import annotations

import inspect
import os
import sys

import numpy as np

PROG = "python -m export face-detector"
# name: (input shape with a free batch, output names in the network's order)
NETWORKS = {"pnet": ((None, None, None, 3), ["box_offsets", "face_probability"]),
            "rnet": ((None, 24, 24, 3), ["box_offsets", "face_probability"]),
            "onet": ((None, 48, 48, 3), ["box_offsets", "landmarks", "face_probability"])}
LICENCE = ("MIT (the mtcnn package, Copyright (c) 2019-2024 Ivan de Paz Centeno; weights of Zhang et al. 2016's "
           "MTCNN as that package ships them): its text is in LICENCE beside this card")


def pipeline_settings() -> dict:
    """The settings the TensorFlow detector runs with: ``FaceDetector``'s min face size and the defaults of mtcnn's
    stages (scale factor, thresholds, NMS overlaps), read from their signatures so the two cannot drift apart."""
    from mtcnn.stages import StageONet, StagePNet, StageRNet

    from export.runtime_face import SETTINGS
    from zoo.data.face_detector import FaceDetector

    found = {"min_face_size": inspect.signature(FaceDetector.__init__).parameters["min_face_size"].default}
    for stage in (StagePNet, StageRNet, StageONet):
        for name, p in inspect.signature(stage.__call__).parameters.items():
            if name in SETTINGS and name != "min_face_size":
                found[name] = p.default
    return {k: found[k] for k in SETTINGS}


def parity_inputs(shape: tuple, seed: int = 0) -> np.ndarray:
    """Random inputs in MTCNN's input range ([-1, 1]); PNet's at an odd size, where "same" pooling pads."""
    h, w = (37, 53) if shape[1] is None else shape[1:3]
    return np.random.default_rng(seed).uniform(-1, 1, (3, h, w, 3)).astype(np.float32)


def export_face_detector(out: str, opset: int | None = None) -> dict:
    """Write the three networks and ``face_detector.json`` to ``out``; returns the card."""
    from importlib.metadata import version

    import onnxruntime as ort

    from export.exporter import DEFAULT_OPSET, PARITY_LIMIT, ExportError, _versions, parity, write_onnx
    from export.runtime_face import CARD
    from zoo.data.face_detector import DETECTOR, LANDMARKS, _stages
    from zoo.data.photo_input import template_and_side
    from zoo.utils.io import sha256_file, write_json

    opset = opset or DEFAULT_OPSET
    template, side = template_and_side("utkface")
    files, worst = {}, {}
    for stage, (name, (shape, names)) in zip(_stages(), NETWORKS.items()):
        path = os.path.join(out, f"{name}.onnx")
        write_onnx(stage.model, path, "image", shape, names, opset)
        x = parity_inputs(shape)
        expected = [np.asarray(o) for o in stage.model(x)]
        got = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"image": x})
        worst[name], ok = parity(expected, got)
        if not ok:
            raise ExportError(f"{path}: ONNX differs from TensorFlow by {worst[name]:.3g} (limit {PARITY_LIMIT:g})")
        files[name] = {"file": f"{name}.onnx", "sha256": sha256_file(path), "input": [None, *shape[1:]],
                       "outputs": names, "parity_max_abs_diff": worst[name]}
    card = {"detector": DETECTOR, "mtcnn_version": version("mtcnn"), "licence": LICENCE,
            "networks": files, "settings": pipeline_settings(), "landmark_names": list(LANDMARKS),
            "input": "RGB uint8 -> (x - 127.5) / 128, NHWC; the pipeline is export.mtcnn_steps",
            "template": {"name": "utkface", "side": side, "landmarks": template["landmarks"],
                         "derived_by": template.get("command")},
            "command": f"{PROG} {out}" + (f" --opset {opset}" if opset != DEFAULT_OPSET else ""),
            "exported_with": _versions()}
    write_json(os.path.join(out, CARD), card)
    return card


def main(argv=None) -> int:
    from zoo.utils.arguments import Parser, check_output_folder, integer, run_command

    parser = Parser(prog=PROG, description="Write MTCNN's P-, R- and O-Net as ONNX files with the card the "
                                           "TensorFlow-free runtime reads (export.runtime_face).")
    parser.add_argument("out", metavar="DIR", help="output folder (created)")
    parser.add_argument("--opset", type=integer(13, 18), default=None, help="ONNX opset (default: the exporter's)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)

    def work():
        from zoo.utils.logs import quiet_tensorflow

        check_output_folder(args.out)
        quiet_tensorflow(False)
        card = export_face_detector(args.out, args.opset)
        sizes = sum(os.path.getsize(os.path.join(args.out, f["file"])) for f in card["networks"].values())
        print(f"wrote {', '.join(f['file'] for f in card['networks'].values())} ({sizes / 1e6:.1f} MB) and "
              f"face_detector.json to {args.out}; largest difference from TensorFlow "
              f"{max(f['parity_max_abs_diff'] for f in card['networks'].values()):.2g}")

    return run_command(PROG, work)


if __name__ == "__main__":
    sys.exit(main())
