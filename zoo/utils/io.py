"""Atomic file writes: write to a temporary name in the same folder, then rename over the target."""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import tempfile


def fsync_path(path: str) -> None:
    """Flush a file's data, or a folder's entries (a rename into it), to the disk."""
    is_dir = os.path.isdir(path)
    fd = os.open(path, os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if is_dir else 0))
    try:
        os.fsync(fd)
    except OSError:
        if not is_dir:  # some file systems cannot fsync a folder; a file must be synced
            raise
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str):
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one rename."""
    folder = os.path.dirname(os.path.abspath(path)) or "."
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=os.path.splitext(path)[1] or ".tmp", dir=folder)
    os.close(fd)
    try:
        yield tmp
        # mkstemp makes the file private (0600); give it the permissions a plain open() would have.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        fsync_path(tmp)  # the data is on disk before the rename makes it visible: a power loss leaves old or new
        os.replace(tmp, path)
        fsync_path(folder)  # and the rename itself is durable
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _finite(obj):
    """``obj`` with every NaN or infinite float replaced by the text "nan", "inf" or "-inf": strict JSON has no
    such numbers (Python writes NaN and Infinity, which other readers reject), and ``float()`` reads the text back."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def write_json(path: str, obj) -> None:
    """Write ``obj`` to ``path`` atomically as strict JSON (non-finite floats as text, see ``_finite``)."""
    with atomic_path(path) as tmp, open(tmp, "w") as f:
        json.dump(_finite(obj), f, indent=2, sort_keys=False, default=str, allow_nan=False)
        f.write("\n")


def read_json(path: str):
    with open(path) as f:
        return json.load(f)


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
