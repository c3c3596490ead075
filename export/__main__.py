"""python -m export (--preset NAME | --run RUN_DIR) --format {onnx,savedmodel} --out DIR [--opset N]

Exports the inference parts (generator; VAE encoder and decoder; classifier; a diffusion sampler's denoiser, with
the sampling settings in its model card) with a dynamic batch dimension, checks each file against Keras on random
inputs (and real images for image inputs) and prints the maximum absolute difference; exits 1 when one exceeds
1e-4 x max(1, |output|), 2 on a bad preset, run or option.

``python -m export face-detector DIR`` writes MTCNN's networks for the runtime's photo path (export.runtime_face).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
import warnings

from zoo.utils.arguments import Parser, UsageError, check_model, check_output_folder, integer, run_command

PROG = "python -m export"


def parse_args(argv):
    from export.exporter import DEFAULT_OPSET, FORMATS

    p = Parser(prog=PROG, description=__doc__.split("\n\n")[1])
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--preset", help="built-in preset name (see zoo.list_presets()) or preset folder")
    src.add_argument("--run", help="training run folder (runs/NNNNN-recipe): its newest checkpoint is exported")
    p.add_argument("--format", required=True, choices=FORMATS)
    p.add_argument("--out", required=True, help="output folder (created)")
    p.add_argument("--opset", type=integer(1, 100), default=DEFAULT_OPSET, help=f"ONNX opset (default {DEFAULT_OPSET})")
    p.add_argument("--images", default=None,
                   help="folder of real face images for the parity check of image inputs "
                        "(default ../shared/data/utkface when present, else synthetic faces)")
    p.add_argument("--parts", default=None, help="comma-separated subset of the parts to export (e.g. decoder)")
    p.add_argument("--verbose", action="store_true", help="keep TensorFlow's start-up log lines")
    return p.parse_args(argv)


def check_args(args) -> None:
    """What the parser cannot see, checked before TensorFlow is imported: the preset or run exists, --out can be
    written, --images is a folder."""
    if args.preset:
        check_model(args.preset, "--preset")
    elif not os.path.isdir(args.run):
        raise UsageError(f"--run {args.run}: no such folder (expected a training run folder, runs/NNNNN-recipe)")
    check_output_folder(args.out)
    if args.images and not os.path.isdir(args.images):
        raise UsageError(f"--images {args.images}: no such folder (expected a folder of face images)")


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["face-detector"]:  # MTCNN's networks for the TensorFlow-free photo path (export.face_detector)
        from export.face_detector import main as face_detector_main

        return face_detector_main(argv[1:])
    args = parse_args(argv)
    code = run_command(PROG, lambda: check_args(args))  # before TensorFlow: a typo costs no start-up
    if code:
        return code
    from zoo.utils.logs import quiet_tensorflow

    quiet_tensorflow(args.verbose)  # before anything imports TensorFlow
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="keras")
    from zoo.training.checkpoint import CheckpointError

    return run_command(PROG, lambda: _export(args), (CheckpointError,), verbose=args.verbose)


def _export(args) -> int:
    from export.exporter import OPSET_RANGE, ExportError, export_part, inference_parts, load_preset, load_run

    missing = [m for m in ("tf2onnx", "onnx", "onnxruntime") if importlib.util.find_spec(m) is None] \
        if args.format == "onnx" else []
    if missing:
        raise UsageError(f"--format onnx needs {', '.join(missing)}, from an optional extra: "
                         f'pip install "facezoo[onnx]"')
    if args.format == "onnx" and not OPSET_RANGE[0] <= args.opset <= OPSET_RANGE[1]:
        raise UsageError(f"--opset {args.opset}: tf2onnx converts to opsets {OPSET_RANGE[0]} to {OPSET_RANGE[1]}")
    obj, source, meta = load_preset(args.preset) if args.preset else load_run(args.run)
    parts = inference_parts(obj)
    if args.parts:
        wanted = [p.strip() for p in args.parts.split(",") if p.strip()]
        unknown = sorted(set(wanted) - {p.name for p in parts})
        if unknown:
            raise ExportError(f"--parts {','.join(unknown)}: not a part of this model (it has "
                              f"{', '.join(p.name for p in parts)})")
        parts = [p for p in parts if p.name in wanted]
    print(f"exporting {', '.join(f'{p.name} ({type(p.model).__name__})' for p in parts)} from "
          f"{source.get('preset') or source.get('run')} as {args.format} to {args.out}", flush=True)
    cards = [export_part(p, args.out, args.format, opset=args.opset, source=source, metadata=meta,
                         images_dir=args.images) for p in parts]
    failed = [c["part"] for c in cards if not c["parity"]["ok"]]
    if failed:
        print(f"{PROG}: parity check failed for {', '.join(failed)} (limit {cards[0]['parity']['limit']:g})",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
