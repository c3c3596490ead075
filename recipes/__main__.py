"""python -m recipes: the recipes, one line each (run one with python -m recipes.NAME; --help lists its flags).

Reads the recipes' docstrings only, so it answers at once: nothing imports TensorFlow.
"""

from __future__ import annotations

import shutil
import sys


def main(argv=None) -> int:
    from zoo.__main__ import print_recipes
    from zoo.utils.arguments import Parser

    p = Parser(prog="python -m recipes", description=__doc__.split("\n\n")[0])
    p.add_argument("--width", type=int, default=None, help="line width (default: the terminal's)")
    args = p.parse_args(sys.argv[1:] if argv is None else argv)
    width = args.width or shutil.get_terminal_size((120, 20)).columns
    print_recipes(width, "python -m recipes.NAME --help lists a recipe's flags, --dry-run its config")
    return 0


if __name__ == "__main__":
    sys.exit(main())
