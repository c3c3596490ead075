"""Numbered run folders: ``<out>/<NNNNN>-<recipe>/`` with config.json, checkpoints/, samples/, logs/, plots/."""

from __future__ import annotations

import json
import os
import re
import shutil
import types
import typing

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
_SETUP_FILES = {"config.json", "command.json", "split.json", "split.csv"}  # split: --train-on train


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


_HINTS = {"config.json": "the run cannot be rebuilt without it: restore it from a copy, or start a new run",
          "command.json": "it only records the commands that ran: restore it from a copy, or delete it to resume"}


def read_run_json(run_dir: str, name: str) -> dict:
    """A run folder's JSON record ``name`` (config.json, command.json) as a dict, or a ``RunDirError`` saying that
    the file is damaged (not UTF-8, not JSON, cut short, not an object) and what to do about it."""
    path = os.path.join(run_dir, name)
    try:
        with open(path, encoding="utf-8") as f:
            value = json.load(f)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        problem = f"is not readable JSON ({e})"
    else:
        if isinstance(value, dict):
            return value
        problem = f"holds a JSON {type(value).__name__} where an object belongs"
    raise RunDirError(f"{path} {problem}; {_HINTS.get(name, 'restore it from a copy')}")


def _fits(value, hint) -> bool:
    """Whether a JSON value can stand for a config field annotated ``hint`` (tuples are stored as lists)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Literal:
        return value in args
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, a) for a in args)
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_fits(v, args[0]) for v in value)
        return len(args) == len(value) and all(_fits(v, a) for v, a in zip(value, args))
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    return True  # a type this check does not know is left to the config's own validation


def read_run_config(run_dir: str, config_cls) -> dict:
    """A run folder's config.json as a dict whose values have the types of ``config_cls``'s fields, or a
    ``RunDirError`` naming the file, the field and its value (an edited or damaged file would otherwise fail deep
    inside the recipe). Unknown fields are left to ``config_from_dict``, which names them."""
    stored = read_run_json(run_dir, "config.json")
    hints = typing.get_type_hints(config_cls)
    for name, value in stored.items():
        if name in hints and not _fits(value, hints[name]):
            shown = getattr(hints[name], "__name__", None) or str(hints[name]).replace("typing.", "")
            raise RunDirError(f"{os.path.join(run_dir, 'config.json')}: {name} is {json.dumps(value)}, expected "
                              f"{shown}; {_HINTS['config.json']}")
    return stored


def end_failed_run(run_dir: str | None, error: BaseException, created: bool) -> None:
    """After ``error`` ended a run unexpectedly (a bug, an error no one anticipated): a run folder this command
    created that holds nothing yet is removed, as after any failed start; any other says in status.json that it
    failed and why, unless the training loop has already recorded how it ended."""
    if run_dir is None or not os.path.isdir(run_dir):
        return
    if created and discard_unused_run_dir(run_dir):
        print(f"(removed the unused run folder {run_dir})", flush=True)
        return
    from zoo.utils.io import write_json

    path = os.path.join(run_dir, "status.json")
    try:
        with open(path) as f:
            status = json.load(f)
        status = status if isinstance(status, dict) else {}
    except (OSError, ValueError):
        status = {}
    if status.get("status") in ("failed", "interrupted"):
        return
    reason = f"{type(error).__name__}: {' '.join(str(error).split())}"
    try:
        write_json(path, {**status, "status": "failed", "reason": reason})
    except OSError:
        pass  # the error itself still goes out
