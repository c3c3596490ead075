"""ONNX Runtime copies of the generator presets, exported on first use into a cache folder.

The first request for a preset is answered by Keras, after which one background worker exports the generator with
``export.exporter.export_part`` (which checks ONNX against Keras and records the parity); later requests run
through ONNX Runtime. The copy lives in ``$FACEZOO_CACHE/onnx`` (default ``~/.cache/facezoo/onnx``) under the
preset's name and the sha256 of its weights, so a changed preset is exported again. Without tf2onnx/onnxruntime
(``pip install "facezoo[onnx]"``), or when the export fails its parity check, the demo simply stays on Keras.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)

_lock = threading.Lock()
_runners: dict[str, object] = {}
_exports: dict = {}  # preset -> Future of its export
_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="onnx-export")  # one export at a time (2 cores)
_failed: dict[str, str] = {}


def cache_dir() -> str:
    root = os.environ.get("FACEZOO_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "facezoo")
    return os.path.join(root, "onnx")


def onnx_path(preset: str) -> str:
    """Where the exported generator of ``preset`` is cached (its folder is named after the weights' sha256)."""
    from zoo.registry import resolve_preset
    from zoo.utils.io import sha256_file

    folder = resolve_preset(preset)
    digest = sha256_file(os.path.join(folder, "weights.npz"))[:16]
    return os.path.join(cache_dir(), f"{os.path.basename(os.path.normpath(folder))}-{digest}", "generator.onnx")


def available() -> bool:
    """tf2onnx, onnx and onnxruntime are installed and FACEZOO_DEMO_ONNX is not 0."""
    if os.environ.get("FACEZOO_DEMO_ONNX", "1") == "0":
        return False
    try:
        import onnxruntime  # noqa: F401
        import tf2onnx  # noqa: F401
    except ImportError:
        return False
    return True


def export(preset: str) -> str:
    """Export ``preset``'s generator to its cache path (atomically: a whole folder renamed into place)."""
    from demo.core import model
    from export.exporter import Part, export_part

    path = onnx_path(preset)
    if os.path.isfile(path):
        return path
    parent = os.path.dirname(path)
    os.makedirs(os.path.dirname(parent), exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".tmp-", dir=os.path.dirname(parent))
    try:
        card = export_part(Part("generator", "generator", model(preset)), tmp, "onnx",
                           source={"preset": preset}, log=log.info)
        if not card["parity"]["ok"]:
            raise RuntimeError(f"ONNX differs from Keras by {card['parity']['max_abs_diff']:.3g}")
        try:
            os.rename(tmp, parent)
        except OSError:  # another process got there first
            if not os.path.isfile(path):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return path


def _export_in_background(preset: str) -> None:
    try:
        export(preset)
    except Exception as e:  # noqa: BLE001 - the demo stays on Keras; say why once
        _failed[preset] = f"{type(e).__name__}: {e}"
        log.warning("ONNX export of %s failed, the demo keeps using Keras: %s", preset, _failed[preset])


def start_export(preset: str):
    """Queue the export of ``preset`` on the one background worker (once); returns its Future or None."""
    if not available() or preset in _failed or os.path.isfile(onnx_path(preset)):
        return None
    with _lock:
        if preset not in _exports:
            _exports[preset] = _worker.submit(_export_in_background, preset)
        return _exports[preset]


def runner(preset: str, wait: bool = False):
    """An ``export.runtime.OnnxGenerator`` for ``preset`` when its export is cached, else None; with ``wait``
    the export is run first (on the worker) when it is not cached yet."""
    if not available() or preset in _failed:
        return None
    if preset in _runners:
        return _runners[preset]
    path = onnx_path(preset)
    if not os.path.isfile(path):
        job = start_export(preset) if wait else None
        if job is None:
            return None
        job.result()
        if not os.path.isfile(path):
            return None
    from export.runtime import OnnxGenerator

    with _lock:
        # No busy-waiting threads: on 2 cores shared with other work spinning costs more than it saves.
        _runners.setdefault(preset, OnnxGenerator(path, threads=min(4, os.cpu_count() or 1), spinning=False))
        return _runners[preset]


def status(preset: str) -> str:
    """One line for the page: which backend answers for ``preset``."""
    if preset in _runners:
        return "ONNX Runtime"
    if preset in _failed:
        return f"Keras (ONNX export failed: {_failed[preset]})"
    if preset in _exports and not _exports[preset].done():
        return "Keras (ONNX export under way)"
    return "Keras"
