"""python -m recipes: the recipes, one line each (run one with python -m recipes.NAME; --help lists its flags).

Reads the recipes' docstrings only, so it answers at once: nothing imports TensorFlow.
"""

from __future__ import annotations

import shutil
import sys


def main(argv=None) -> int:
    from zoo.__main__ import recipe_lines
    from zoo.utils.arguments import Parser

    p = Parser(prog="python -m recipes", description=__doc__.split("\n\n")[0])
    p.add_argument("--width", type=int, default=None, help="line width (default: the terminal's)")
    args = p.parse_args(sys.argv[1:] if argv is None else argv)
    width = args.width or shutil.get_terminal_size((120, 20)).columns
    lines = recipe_lines()
    print(f"Recipes ({len(lines)}; python -m recipes.NAME --help lists a recipe's flags, --dry-run its config):")
    pad = max((len(n) for n, _ in lines), default=0)
    for name, doc in lines:
        text = f"{name.ljust(pad)}  {doc}"
        print("  " + (text if len(text) <= width - 2 else text[: width - 5] + "..."))
    return 0


if __name__ == "__main__":
    sys.exit(main())
