"""Full training checkpoints: every model and optimizer variable (RNG state included) plus the loop's state.

A checkpoint is a folder ``checkpoints/ckpt-<step>/`` holding ``variables.npz`` and ``state.json``. It is
written under a temporary name and renamed into place, then ``checkpoints/latest`` (a one-line pointer) is
replaced atomically, so a kill at any moment leaves the previous checkpoint intact. Only the newest ``keep``
checkpoints are kept. Variables are stored in the trainer's deterministic order and checked by shape on load.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile

import numpy as np

from zoo.utils.io import atomic_path


class CheckpointError(RuntimeError):
    """A checkpoint is missing or does not fit the model it is loaded into."""


def save_checkpoint(ckpt_dir: str, groups: dict[str, list], state: dict, keep: int = 2) -> str:
    """Write variables ``groups`` ({group: [variables]}) and ``state`` (JSON-able) as ``ckpt-<state['step']>``."""
    os.makedirs(ckpt_dir, exist_ok=True)
    name = f"ckpt-{int(state['step']):08d}"
    final = os.path.join(ckpt_dir, name)
    tmp = tempfile.mkdtemp(prefix=".tmp-", dir=ckpt_dir)
    try:
        arrays, paths = {}, {}
        for group, variables in groups.items():
            for i, v in enumerate(variables):
                arrays[f"{group}/{i:05d}"] = np.asarray(v.numpy() if hasattr(v, "numpy") else v)
            paths[group] = [getattr(v, "path", "") for v in variables]
        np.savez(os.path.join(tmp, "variables.npz"), **arrays)
        with open(os.path.join(tmp, "state.json"), "w") as f:
            json.dump({**state, "variable_paths": paths}, f, indent=1, default=str)
        if os.path.exists(final):
            shutil.rmtree(final)
        os.replace(tmp, final)
    finally:
        if os.path.exists(tmp):
            shutil.rmtree(tmp)
    with atomic_path(os.path.join(ckpt_dir, "latest")) as t, open(t, "w") as f:
        f.write(name + "\n")
    done = sorted(d for d in os.listdir(ckpt_dir) if d.startswith("ckpt-"))
    for old in done[:-max(keep, 1)]:
        if old != name:
            shutil.rmtree(os.path.join(ckpt_dir, old), ignore_errors=True)
    return final


def latest_checkpoint(ckpt_dir: str) -> str | None:
    """Path of the newest complete checkpoint in ``ckpt_dir``, or None."""
    pointer = os.path.join(ckpt_dir, "latest")
    if os.path.isfile(pointer):
        with open(pointer) as f:
            path = os.path.join(ckpt_dir, f.read().strip())
        if os.path.isfile(os.path.join(path, "state.json")):
            return path
    found = sorted(d for d in os.listdir(ckpt_dir) if d.startswith("ckpt-")) if os.path.isdir(ckpt_dir) else []
    for d in reversed(found):
        if os.path.isfile(os.path.join(ckpt_dir, d, "state.json")):
            return os.path.join(ckpt_dir, d)
    return None


def load_checkpoint(path: str, groups: dict[str, list]) -> dict:
    """Assign the stored values to ``groups`` (same structure as saved) and return the stored state."""
    try:
        with open(os.path.join(path, "state.json")) as f:
            state = json.load(f)
        data = np.load(os.path.join(path, "variables.npz"))
    except (OSError, ValueError) as e:
        raise CheckpointError(f"cannot read checkpoint {path}: {e}") from e
    for group, variables in groups.items():
        stored = sorted(k for k in data.files if k.startswith(group + "/"))
        if len(stored) != len(variables):
            raise CheckpointError(f"{path}: group {group!r} has {len(stored)} variables, the model has "
                                  f"{len(variables)}; was the checkpoint made with another config?")
        for i, v in enumerate(variables):
            value = data[f"{group}/{i:05d}"]
            if tuple(value.shape) != tuple(v.shape):
                raise CheckpointError(f"{path}: {group} variable {i} ({getattr(v, 'path', '?')}) has shape "
                                      f"{value.shape} in the checkpoint and {tuple(v.shape)} in the model")
            v.assign(value)
    state.pop("variable_paths", None)
    return state
