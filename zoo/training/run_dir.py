"""Numbered run folders: ``<out>/<NNNNN>-<recipe>/`` with config.json, checkpoints/, samples/, logs/, plots/."""

from __future__ import annotations

import os
import re

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


def new_run_dir(out: str, recipe: str) -> str:
    """Create the next numbered run folder for ``recipe`` under ``out`` (numbers are shared by all recipes)."""
    os.makedirs(out, exist_ok=True)
    while True:
        number = (_runs(out)[-1][0] + 1) if _runs(out) else 0
        path = os.path.join(out, f"{number:05d}-{recipe}")
        try:
            os.makedirs(path)  # fails if a concurrent run took the number: try the next
            break
        except FileExistsError:
            continue
    for sub in SUBDIRS:
        os.makedirs(os.path.join(path, sub), exist_ok=True)
    return path


def latest_run_dir(out: str, recipe: str) -> str | None:
    """The newest run folder of ``recipe`` under ``out``, or None."""
    mine = [p for _, r, p in _runs(out) if r == recipe]
    return mine[-1] if mine else None
