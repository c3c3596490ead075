"""Full training checkpoints: every model and optimizer variable (RNG state included) plus the loop's state.

A checkpoint is a folder ``checkpoints/ckpt-<step>/`` holding ``variables.npz`` and ``state.json``. Both are
written and fsynced under a temporary folder name, which is then renamed into place (and the parent folder
fsynced), so a kill or a power loss at any moment leaves the previous checkpoints intact. ``checkpoints/latest``
is a one-line pointer for people and tools; the loop itself always takes the newest checkpoint that passes
``verify_checkpoint`` (CRC of every array, state.json readable, one array per listed variable), skipping a
damaged one with a warning. Only the newest ``keep`` checkpoints are kept (all with 0). Variables are stored in the
trainer's deterministic order with their paths, and checked by path, shape and type on load; ``restore_newest``
falls back to an older checkpoint when the newest one cannot be loaded.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import sys
import tempfile
import time
import zipfile

import numpy as np

from zoo.utils.io import atomic_path, fsync_path

log = logging.getLogger(__name__)

_CKPT = re.compile(r"^ckpt-(\d+)$")
# Test hook for the fault-injection test: seconds to sleep after the files are written and before the rename,
# so that a kill lands inside a checkpoint write.
PAUSE_ENV = "ZOO_TEST_CHECKPOINT_PAUSE_S"


class CheckpointError(RuntimeError):
    """A checkpoint is missing, damaged, cannot be written, or does not fit the model it is loaded into."""


class DamagedCheckpointError(CheckpointError):
    """A checkpoint's files are unreadable or inconsistent (a truncated write, a disk error)."""


def _checkpoints(ckpt_dir: str) -> list[tuple[int, str]]:
    """(step, path) of every ``ckpt-<step>`` folder, oldest first."""
    if not os.path.isdir(ckpt_dir):
        return []
    found = [(int(m.group(1)), os.path.join(ckpt_dir, d)) for d in os.listdir(ckpt_dir) if (m := _CKPT.match(d))]
    return sorted(p for p in found if os.path.isdir(p[1]))


def remove_orphans(ckpt_dir: str) -> None:
    """Remove ``.tmp-*`` folders and files left by writes that a kill interrupted (one writer per run)."""
    if not os.path.isdir(ckpt_dir):
        return
    for name in os.listdir(ckpt_dir):
        if name.startswith(".tmp-"):
            path = os.path.join(ckpt_dir, name)
            shutil.rmtree(path, ignore_errors=True) if os.path.isdir(path) else os.remove(path)


def save_checkpoint(ckpt_dir: str, groups: dict[str, list], state: dict, keep: int = 2) -> str:
    """Write variables ``groups`` ({group: [variables]}) and ``state`` (JSON-able) as ``ckpt-<state['step']>``.

    Checkpoints of later steps (an abandoned future: the run resumed from an older one) are removed, so the
    newest checkpoint is always the one just written. A failed write (full disk, read-only folder) raises
    ``CheckpointError`` naming the folder and leaves the earlier checkpoints untouched.
    """
    step = int(state["step"])
    name = f"ckpt-{step:08d}"
    final = os.path.join(ckpt_dir, name)
    tmp = None
    try:
        os.makedirs(ckpt_dir, exist_ok=True)
        remove_orphans(ckpt_dir)
        tmp = tempfile.mkdtemp(prefix=".tmp-", dir=ckpt_dir)
        arrays, paths = {}, {}
        for group, variables in groups.items():
            for i, v in enumerate(variables):
                arrays[f"{group}/{i:05d}"] = np.asarray(v.numpy() if hasattr(v, "numpy") else v)
            paths[group] = [getattr(v, "path", "") for v in variables]
        with open(os.path.join(tmp, "variables.npz"), "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        with open(os.path.join(tmp, "state.json"), "w") as f:
            json.dump({**state, "variable_paths": paths}, f, indent=1, default=str)
            f.flush()
            os.fsync(f.fileno())
        fsync_path(tmp)
        pause = float(os.environ.get(PAUSE_ENV, "0") or 0)
        if pause > 0:
            time.sleep(pause)
        if os.path.exists(final):
            shutil.rmtree(final)
        os.replace(tmp, final)
        fsync_path(ckpt_dir)
        with atomic_path(os.path.join(ckpt_dir, "latest")) as t, open(t, "w") as f:
            f.write(name + "\n")
    except OSError as e:
        where = e.filename or ckpt_dir
        raise CheckpointError(f"cannot write the checkpoint of step {step} in {ckpt_dir}: {e.strerror or e} "
                              f"({where}); the earlier checkpoints are kept") from e
    finally:
        if tmp is not None and os.path.exists(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
    done = _checkpoints(ckpt_dir)
    older = [p for s, p in done if s < step]
    stale = older[:max(len(older) - keep + 1, 0)] if keep > 0 else []  # keep 0: every checkpoint stays
    for path in [p for s, p in done if s > step] + stale:
        shutil.rmtree(path, ignore_errors=True)
    return final


def verify_checkpoint(path: str) -> dict:
    """The stored state of the checkpoint at ``path`` after checking that it is whole: state.json is valid JSON
    with a step, every array of variables.npz passes its CRC and the arrays match the variables state.json
    lists. Raises ``DamagedCheckpointError`` saying what is wrong."""
    try:
        with open(os.path.join(path, "state.json")) as f:
            state = json.load(f)
        int(state["step"])
        with zipfile.ZipFile(os.path.join(path, "variables.npz")) as z:
            bad = z.testzip()
            names = {n[:-4] for n in z.namelist() if n.endswith(".npy")}
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile, EOFError) as e:
        raise DamagedCheckpointError(f"checkpoint {path} is damaged: {type(e).__name__}: {e}") from e
    if bad is not None:
        raise DamagedCheckpointError(f"checkpoint {path} is damaged: {bad} in variables.npz fails its CRC")
    listed = {f"{g}/{i:05d}" for g, vs in (state.get("variable_paths") or {}).items() for i in range(len(vs))}
    if listed and listed != names:
        raise DamagedCheckpointError(f"checkpoint {path} is damaged: state.json lists {len(listed)} variables, "
                                     f"variables.npz holds {len(names)}")
    return state


def latest_checkpoint(ckpt_dir: str) -> str | None:
    """Path of the newest whole checkpoint in ``ckpt_dir`` (by step, whatever ``latest`` says), or None.
    Damaged checkpoints are skipped with a warning naming them."""
    for _, path in reversed(_checkpoints(ckpt_dir)):
        if not os.path.isfile(os.path.join(path, "state.json")):
            continue  # a folder without its state was never completed (older versions wrote in place)
        try:
            verify_checkpoint(path)
        except DamagedCheckpointError as e:
            log.warning("%s; falling back to an older checkpoint", e)
            continue
        return path
    return None


def restore_newest(ckpt_dir: str, groups: dict[str, list]) -> tuple[str | None, dict | None]:
    """Load the newest checkpoint of ``ckpt_dir`` that loads into ``groups``: ``(path, state)``, or ``(None, None)``
    when the folder holds no checkpoint. One that is damaged or does not fit the model (it may pass its CRC and
    still hold a wrong shape, a wrong type or other variables) is skipped with a printed sentence for the one
    before it; when none loads, ``CheckpointError`` says so, rather than a resume quietly starting at step 0."""
    refused = []
    for _, path in reversed(_checkpoints(ckpt_dir)):
        if not os.path.isfile(os.path.join(path, "state.json")):
            continue  # a folder without its state was never completed (older versions wrote in place)
        try:
            return path, load_checkpoint(path, groups)
        except CheckpointError as e:
            refused.append(str(e))
            print(f"skipping checkpoint {os.path.basename(path)}: {e}; trying the one before it", file=sys.stderr,
                  flush=True)
    if refused:
        raise CheckpointError(f"none of the {len(refused)} checkpoints in {ckpt_dir} can be loaded, so the run cannot "
                              f"be resumed (the newest: {refused[0]})")
    return None, None


def _canonical(path: str) -> str:
    """A variable path without the ``_<n>`` suffixes Keras adds to names already taken in the process
    (``dcgan_generator_1/project/kernel``, ``adam_3/...``), which differ between the run that saved and the one
    that loads."""
    return re.sub(r"_\d+(?=/|_|$)", "", path)


def load_checkpoint(path: str, groups: dict[str, list]) -> dict:
    """Assign the stored values to ``groups`` (same structure as saved) and return the stored state. Each stored
    variable path must be the model's at the same position (a reordering of same-shape variables would otherwise
    load silently into the wrong places), with the same shape and a numeric type. Nothing is assigned unless every
    value reads back and fits."""
    state = verify_checkpoint(path)
    try:
        with np.load(os.path.join(path, "variables.npz"), allow_pickle=False) as data:
            stored = {k: data[k] for k in data.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise DamagedCheckpointError(f"cannot read checkpoint {path}: {e}") from e
    stored_paths = state.get("variable_paths") or {}
    for group, variables in groups.items():
        keys = sorted(k for k in stored if k.startswith(group + "/"))
        if len(keys) != len(variables):
            raise CheckpointError(f"{path}: group {group!r} has {len(keys)} variables, the model has "
                                  f"{len(variables)}; was the checkpoint made with another config?")
        for i, (v, saved) in enumerate(zip(variables, stored_paths.get(group) or [""] * len(variables))):
            mine = getattr(v, "path", "") or ""
            if saved and mine and _canonical(saved) != _canonical(mine):
                raise CheckpointError(f"{path}: {group} variable {i} is {saved} in the checkpoint but {mine} in the "
                                      f"model; the checkpoint's variables are not the model's (another config or "
                                      f"code version?)")
            value = stored[f"{group}/{i:05d}"]
            if tuple(value.shape) != tuple(v.shape):
                raise CheckpointError(f"{path}: {group} variable {i} ({mine or '?'}) has shape "
                                      f"{value.shape} in the checkpoint and {tuple(v.shape)} in the model")
            if value.dtype.kind not in "biuf":
                raise CheckpointError(f"{path}: {group} variable {i} ({mine or '?'}) holds {value.dtype} values, "
                                      f"not numbers")
    for group, variables in groups.items():
        for i, v in enumerate(variables):
            v.assign(stored[f"{group}/{i:05d}"])
    state.pop("variable_paths", None)
    return state
