"""Reading a run's ``logs/metrics.csv`` whatever a crash or a bad disk left in it.

The file is appended one flushed line at a time, so a kill can cut its last line, and a disk error can leave NUL
bytes or bytes that are not UTF-8. Every reader (the resumed logger, the loss plot, ``zoo.runs.last_metrics``)
goes through ``read_metrics``, which keeps each intact row and counts the others instead of failing on them.
"""

from __future__ import annotations

import csv
import math
import os


def _cells(line: bytes) -> list[str] | None:
    """The values of one whole line (without its newline), or None when it is not clean UTF-8 text."""
    if b"\x00" in line:
        return None
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return None
    rows = list(csv.reader([text]))
    return rows[0] if len(rows) == 1 else None


def _number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def read_metrics(path: str) -> tuple[list[str] | None, list[dict], int]:
    """``(fields, rows, dropped)`` of the metrics file at ``path``: its header (None when the file is absent or its
    header is unreadable), its intact rows as {field: text} in file order, and how many lines were dropped.

    A row is intact when it is a whole line (the last one ends with its newline: a cut line is dropped, so the next
    row cannot be glued onto it), is UTF-8 without NUL bytes, has one value per field, and each value is empty or
    a finite number, the step among them."""
    if not os.path.isfile(path):
        return None, [], 0
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    cut = lines.pop()  # what follows the last newline: empty unless the last line was cut short
    lines = [ln[:-1] if ln.endswith(b"\r") else ln for ln in lines]
    dropped = 1 if cut.strip() else 0
    if not lines:
        return None, [], dropped
    fields = _cells(lines[0])
    if not fields or "step" not in fields or len(set(fields)) != len(fields):
        return None, [], dropped + sum(1 for ln in lines if ln.strip())
    rows = []
    for line in lines[1:]:
        cells = _cells(line)
        if cells is None or len(cells) != len(fields) or not all(c == "" or _number(c) for c in cells):
            dropped += 1 if line.strip() else 0
            continue
        row = dict(zip(fields, cells))
        if row["step"] == "":
            dropped += 1
            continue
        rows.append(row)
    return fields, rows, dropped


def write_metrics(path: str, fields: list[str], rows: list[dict]) -> None:
    """Replace the metrics file at ``path`` (atomically) with ``fields`` as header and ``rows``."""
    from zoo.utils.io import atomic_path

    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fields, restval="", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
