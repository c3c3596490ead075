"""Numbered run folders: ``<out>/<NNNNN>-<recipe>/`` with config.json, checkpoints/, samples/, logs/, plots/."""

from __future__ import annotations

import os
import re
import shutil

_RUN = re.compile(r"^(\d{5})-(.+)$")
SUBDIRS = ("checkpoints", "samples", "logs", "plots")


def _runs(out: str) -> list[tuple[int, str, str]]:
    if not os.path.isdir(out):
        return []
    found = []
    for name in os.listdir(out):
        m = _RUN.match(name)
        if m and os.path.isdir(os.path.join(out, name)):
            found.append((int(m.group(1)), m.group(2), os.path.join(out, name)))
    return sorted(found)


class RunDirError(OSError):
    """The output folder cannot hold a run (it is a file, read-only, full); the message says what and where."""


def new_run_dir(out: str, recipe: str) -> str:
    """Create the next numbered run folder for ``recipe`` under ``out`` (numbers are shared by all recipes)."""
    if os.path.exists(out) and not os.path.isdir(out):
        raise RunDirError(f"--out {out} is a file, not a folder: give a folder for the run folders")
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as e:
        raise RunDirError(f"cannot create the output folder {e.filename or out}: {e.strerror or e}") from e
    while True:
        number = (_runs(out)[-1][0] + 1) if _runs(out) else 0
        path = os.path.join(out, f"{number:05d}-{recipe}")
        try:
            os.makedirs(path)  # fails if a concurrent run took the number: try the next
            break
        except FileExistsError:
            continue
        except OSError as e:
            raise RunDirError(f"cannot create a run folder in {out}: {e.strerror or e}") from e
    try:
        for sub in SUBDIRS:
            os.makedirs(os.path.join(path, sub), exist_ok=True)
    except OSError as e:
        raise RunDirError(f"cannot create {e.filename or path}: {e.strerror or e}") from e
    return path


# What a run folder holds before its training starts; a folder with nothing else was never used.
_SETUP_FILES = {"config.json", "command.json"}


def discard_unused_run_dir(path: str) -> bool:
    """Remove a run folder that holds nothing but its setup files and empty subfolders (a run that failed
    before training: missing data, bad preset), so that it neither litters ``--out`` nor takes ``--resume``.
    Returns whether it was removed."""
    for root, _, files in os.walk(path):
        if any(not (root == path and f in _SETUP_FILES) for f in files):
            return False
    shutil.rmtree(path, ignore_errors=True)
    return not os.path.exists(path)


def has_checkpoint(path: str) -> bool:
    from zoo.training.checkpoint import latest_checkpoint

    return latest_checkpoint(os.path.join(path, "checkpoints")) is not None


def latest_run_dir(out: str, recipe: str, with_checkpoint: bool = False) -> str | None:
    """The newest run folder of ``recipe`` under ``out`` (with ``with_checkpoint``: the newest that has a whole
    checkpoint to resume from), or None."""
    mine = [p for _, r, p in _runs(out) if r == recipe]
    for path in reversed(mine):
        if not with_checkpoint or has_checkpoint(path):
            return path
    return None
