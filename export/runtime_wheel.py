"""Build ``facezoo-runtime``, a small wheel of the ONNX runtime alone: numpy, onnxruntime and Pillow, no TensorFlow.

    python -m export.runtime_wheel --out dist/
    pip install dist/facezoo_runtime-0.1.0-py3-none-any.whl        # then: from export.runtime import OnnxGenerator

``pip install "facezoo[runtime]"`` names the same three requirements, but facezoo itself requires TensorFlow; this
wheel holds only the files of package ``export`` that run exported models (``RUNTIME_FILES``: generators,
classifiers, VAEs, and diffusion denoisers by DDIM in ``export.runtime_ddim``; faces in photos found and aligned by
``export.runtime_face`` with MTCNN's networks as ONNX files), and ``python -m export.sample`` and
``python -m export.predict`` work from it. The OpenVINO backend also needs ``pip install openvino onnx``.
"""

from __future__ import annotations

import argparse
import os
import re
import sys

NAME = "facezoo_runtime"
RUNTIME_FILES = ("__init__.py", "runtime.py", "runtime_ddim.py", "sample.py", "onnx_passes.py", "runtime_face.py",
                 "mtcnn_steps.py", "face_align.py", "predict.py")
# MTCNN's networks and card (export/face_detector/, written by python -m export face-detector): the photo path's
# detector, so that python -m export.predict finds faces without TensorFlow. MIT licence, named in the card.
DATA_FILES = ("face_detector/pnet.onnx", "face_detector/rnet.onnx", "face_detector/onet.onnx",
              "face_detector/face_detector.json", "face_detector/LICENCE")
REQUIRES = ("numpy>=1.26", "onnxruntime>=1.32", "pillow>=10.0")
HERE = os.path.dirname(os.path.abspath(__file__))


def version() -> str:
    """facezoo's version, read from zoo/__init__.py as text (importing zoo would import TensorFlow)."""
    with open(os.path.join(os.path.dirname(HERE), "zoo", "__init__.py")) as f:
        return re.search(r'^__version__ = "([^"]+)"', f.read(), re.M).group(1)


def build(out: str) -> str:
    """Write ``<out>/facezoo_runtime-<version>-py3-none-any.whl``; returns its path."""
    from wheel.wheelfile import WheelFile

    v = version()
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, f"{NAME}-{v}-py3-none-any.whl")
    info = f"{NAME}-{v}.dist-info"
    metadata = ["Metadata-Version: 2.1", "Name: facezoo-runtime", f"Version: {v}",
                "Summary: Run facezoo's exported ONNX models with numpy, onnxruntime and Pillow only",
                "License: Apache-2.0", "Requires-Python: >=3.10", *(f"Requires-Dist: {r}" for r in REQUIRES)]
    with WheelFile(path, "w") as whl:  # it writes the RECORD of hashes on close
        for name in RUNTIME_FILES + DATA_FILES:
            whl.write(os.path.join(HERE, name), f"export/{name}")
        whl.writestr(f"{info}/METADATA", "\n".join(metadata) + "\n")
        whl.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: export.runtime_wheel\nRoot-Is-Purelib: true\n"
                                      "Tag: py3-none-any\n")
    return path


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m export.runtime_wheel", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="dist", help="folder to write the wheel to (default: dist)")
    args = p.parse_args(argv)
    try:
        print(build(args.out))
    except ImportError:
        print(f"{p.prog}: error: building the wheel needs the wheel package: pip install wheel", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"{p.prog}: error: cannot write to {args.out}: {e.strerror or e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
