"""python -m zoo (or the ``facezoo`` command): the built-in presets as a table and the recipes one line each.

Reads the presets' metadata and the recipes' docstrings only: nothing is imported from TensorFlow or Keras.
"""

from __future__ import annotations

import argparse
import ast
import os
import shutil
import sys


def preset_rows() -> list[dict]:
    """One dict per installed built-in preset: name, model class, resolution, dataset, parameters, description."""
    from zoo.registry import PresetError, list_presets, load_preset_metadata

    rows = []
    for name, description in list_presets(with_description=True).items():
        try:
            meta = load_preset_metadata(name)
        except PresetError as e:  # a damaged preset is listed with the reason, not a traceback
            meta = {"class_name": "?", "error": str(e)}
        params = meta.get("parameters")
        rows.append({"preset": name, "model": meta.get("class_name", "?"), "size": str(meta.get("resolution", "")),
                     "data": str(meta.get("dataset", "")).split(" ")[0],
                     "params": f"{params / 1e6:.1f}M" if isinstance(params, (int, float)) else "",
                     "description": meta.get("error") or description})
    return rows


def recipe_lines() -> list[tuple[str, str]]:
    """(module name, first line of its docstring) for each recipe, read from the source without importing it."""
    import recipes

    folder = os.path.dirname(recipes.__file__)
    out = []
    for f in sorted(os.listdir(folder)):
        if f.endswith(".py") and not f.startswith("_"):
            with open(os.path.join(folder, f), encoding="utf-8") as fh:
                doc = ast.get_docstring(ast.parse(fh.read())) or ""
            out.append((f[:-3], doc.strip().splitlines()[0] if doc.strip() else ""))
    return out


def table(rows: list[dict], columns: list[str], width: int) -> list[str]:
    """Left-aligned columns (numbers right-aligned); the last column is cut to fit ``width``."""
    widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in columns[:-1]}
    right = {"size", "params"}

    def line(values: dict) -> str:
        cells = [values[c].rjust(widths[c]) if c in right else values[c].ljust(widths[c]) for c in columns[:-1]]
        head = "  ".join(cells) + "  "
        last = values[columns[-1]]
        room = max(width - len(head), 12)
        return (head + (last if len(last) <= room else last[: room - 3] + "...")).rstrip()

    return [line({c: c for c in columns})] + [line(r) for r in rows]


def main(argv=None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:  # `python -m zoo | head`: the reader has what it wanted; not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes
        return 0


def _main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m zoo", description=__doc__.split("\n\n")[0])
    p.add_argument("--width", type=int, default=None, help="line width (default: the terminal's)")
    p.add_argument("--verbose", action="store_true", help="keep TensorFlow's start-up log lines")
    args = p.parse_args(argv)
    from zoo.utils.logs import quiet_tensorflow

    quiet_tensorflow(args.verbose)  # also for the `facezoo` console command, whose main module is not ours
    width = args.width or shutil.get_terminal_size((120, 20)).columns
    rows = preset_rows()
    print(f"Presets ({len(rows)}; load one with zoo.from_preset(NAME)):")
    if rows:
        for text in table(rows, ["preset", "model", "size", "data", "params", "description"], width - 2):
            print("  " + text)
    else:
        print("  none installed")
    print()
    print_recipes(width, "python -m recipes.NAME --help")
    return 0


def print_recipes(width: int, hint: str) -> None:
    """The recipes, one line each cut to ``width``, under a header with their count and ``hint``."""
    lines = recipe_lines()
    print(f"Recipes ({len(lines)}; {hint}):")
    pad = max((len(n) for n, _ in lines), default=0)
    for name, doc in lines:
        text = f"{name.ljust(pad)}  {doc}"
        print("  " + (text if len(text) <= width - 2 else text[: width - 5] + "..."))


if __name__ == "__main__":
    sys.exit(main())
