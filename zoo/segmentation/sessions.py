"""One way to get a rembg session for any segmenter: rembg's own models by name, a custom ONNX file, or the
selfie segmenter shipped with facezoo (``mediapipe-selfie``, the default when rembg has no model cached)."""

from __future__ import annotations

import contextlib
import glob
import importlib.util
import os
import sys

from zoo.data.errors import DataError
from zoo.segmentation.selfie import SelfieSegmentationSession

SHIPPED = SelfieSegmentationSession.name()
# Preference of ``auto`` among rembg's models already on disk: portrait/human models first (faces).
AUTO_ORDER = ("birefnet-portrait", "u2net_human_seg", "isnet-general-use", "u2net")
CUSTOM_SESSIONS = ("u2net_custom", "dis_custom", "ben_custom")


def _matting_compiled() -> bool:
    """Whether numba's cache already holds pymatting's compiled functions, so that importing rembg is quick:
    in ``$NUMBA_CACHE_DIR`` when set (numba then looks nowhere else), else in pymatting's ``__pycache__`` folders
    or numba's user cache."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        roots = [os.environ["NUMBA_CACHE_DIR"]]
    else:
        spec = importlib.util.find_spec("pymatting")
        roots = list(spec.submodule_search_locations or []) if spec else []
        roots.append(os.path.join(os.path.expanduser("~"), ".cache", "numba"))
    return any(glob.glob(os.path.join(r, "**", "ichol._ichol-*.nbi"), recursive=True) for r in roots)


def import_rembg():
    """rembg, whose ``__init__`` imports pymatting: numba compiles pymatting's alpha matting on the first import
    after an install, about 2 minutes without output. Only rembg's own models and ``--alpha-matting`` need it;
    say what is happening before that wait."""
    if sys.modules.get("rembg") is None and not _matting_compiled():
        print("importing rembg: numba compiles its alpha matting (pymatting) once after an install, "
              "about 2 minutes", file=sys.stderr, flush=True)
    import rembg

    return rembg


def _rembg_sessions() -> dict:
    import_rembg()
    from rembg.sessions import sessions

    return sessions


def _rembg_home() -> str:
    """rembg's models folder root, as its ``BaseSession.rembg_home`` computes it (rembg 2.0.x), without importing
    rembg: ``$U2NET_HOME`` when set, else ``$REMBG_HOME``, else ``$XDG_DATA_HOME/rembg`` or ``~/.rembg``."""
    if os.getenv("U2NET_HOME"):
        return _legacy_home()
    xdg = os.getenv("XDG_DATA_HOME")
    return os.path.expanduser(os.getenv("REMBG_HOME", os.path.join(xdg, "rembg") if xdg else "~/.rembg"))


def _legacy_home() -> str:
    return os.path.expanduser(os.getenv("U2NET_HOME", os.path.join(os.getenv("XDG_DATA_HOME", "~"), ".u2net")))


def is_cached(model: str) -> bool:
    """Whether rembg's model ``model`` is already on disk (``<rembg home>/models/<name>/*.onnx`` or the legacy
    ``~/.u2net/<name>.onnx``), so that using it downloads nothing. Reads the folders only: no rembg import."""
    if model in (SHIPPED, *CUSTOM_SESSIONS):
        return False
    folder = os.path.join(_rembg_home(), "models", model)
    return (os.path.isdir(folder) and any(f.endswith(".onnx") for f in os.listdir(folder))) or \
        os.path.isfile(os.path.join(_legacy_home(), f"{model}.onnx"))


def resolve_model(model: str = "auto", model_path: str | None = None) -> str:
    """The session name ``make_session`` will use: ``auto`` -> the first cached of ``AUTO_ORDER``, else the
    shipped ``mediapipe-selfie``; with ``model_path`` a custom session (``u2net_custom`` unless one is named)."""
    if model_path:
        return model if model in CUSTOM_SESSIONS else "u2net_custom"
    if model == "auto":
        return next((m for m in AUTO_ORDER if is_cached(m)), SHIPPED)
    return model


@contextlib.contextmanager
def _models_home(folder: str):
    """rembg only opens custom models under its models folder (``U2NET_HOME``); the user named this file, so
    point that folder at it for the session's construction only."""
    old = os.environ.get("U2NET_HOME")
    os.environ["U2NET_HOME"] = folder
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("U2NET_HOME", None)
        else:
            os.environ["U2NET_HOME"] = old


def make_session(model: str = "auto", model_path: str | None = None, threads: int = 1):
    """A rembg session (``rembg.remove(img, session=...)``) for ``model``; ``threads`` intra-op threads.

    Unknown names, missing custom files and models rembg cannot fetch are ``DataError``s naming the way out.
    """
    import onnxruntime as ort

    name = resolve_model(model, model_path)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = max(1, int(threads))
    if name == SHIPPED:
        return SelfieSegmentationSession(name, opts)
    new_session = import_rembg().new_session
    known = sorted(n for n, c in _rembg_sessions().items() if c.is_local() and not c.requires_credentials())
    if name not in known:
        raise DataError(f"unknown segmenter {model!r}; expected auto, {SHIPPED} or one of rembg's: {', '.join(known)}")
    if model_path:
        path = os.path.abspath(os.path.expanduser(model_path))
        if not os.path.isfile(path):
            raise DataError(f"--model-path {model_path}: no such file (a segmentation ONNX model)")
        try:
            with _models_home(os.path.dirname(path)):
                return new_session(name, sess_opts=opts, model_path=path, providers=["CPUExecutionProvider"])
        except Exception as e:  # onnxruntime's errors for a file that is not a model
            raise DataError(f"--model-path {model_path}: cannot open it as an ONNX model for {name}: {e}") from e
    try:
        return new_session(name, sess_opts=opts, providers=["CPUExecutionProvider"])
    except Exception as e:  # rembg downloads models on first use; offline that fails
        raise DataError(f"rembg model {name!r} is not cached and could not be fetched ({type(e).__name__}: {e}). "
                        f"Fetch it where there is a network (rembg d {name}) into {_rembg_sessions()[name].model_dir()}, "
                        f"or use the shipped --model {SHIPPED}") from e


def mask_iou(pred, truth, threshold: float = 0.5) -> float:
    """Intersection over union of two masks [..., H, W] (0/1, 0..255 or probabilities), each cut at
    ``threshold`` of its full scale; 1.0 when both are empty."""
    import numpy as np

    def binary(m):
        m = np.asarray(m, np.float32)
        return m > threshold * (255.0 if m.max() > 1.0 else 1.0)

    p, t = binary(pred), binary(truth)
    union = np.logical_or(p, t).sum()
    return float(np.logical_and(p, t).sum() / union) if union else 1.0
