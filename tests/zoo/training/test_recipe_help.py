"""Every recipe's --help describes every option and shows the real defaults (issue 19, rough edge 4)."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import recipes
from zoo.training.cli import build_parser

RECIPES = sorted(m.name for m in pkgutil.iter_modules(recipes.__path__)
                 if hasattr(importlib.import_module(f"recipes.{m.name}"), "Config"))


def _options(name):
    module = importlib.import_module(f"recipes.{name}")
    parser = build_parser(module.Config, f"python -m recipes.{name}")
    return parser, {a.option_strings[0]: a.help for a in parser._actions if a.option_strings[0] != "-h"}


def test_every_recipe_is_checked():
    assert len(RECIPES) >= 10 and "celeba_dcgan" in RECIPES and "ffhq_progan" in RECIPES


@pytest.mark.parametrize("name", RECIPES)
def test_every_option_has_a_description_and_a_real_default(name, capsys):
    parser, options = _options(name)
    undescribed = [flag for flag, text in options.items() if not text.split("(default:")[0].strip()]
    assert undescribed == [], f"{name}: options without a description: {undescribed}"
    assert "default: None" not in " ".join(options.values())
    data = importlib.import_module(f"recipes.{name}").Config.data  # the real default folder follows --data's
    assert options["--data-dir"].endswith(f"(default: $FACEZOO_DATA/{data}, else data/{data}, for --data {data})")
    with pytest.raises(SystemExit):
        importlib.import_module(f"recipes.{name}").main(["--help"])
    out = capsys.readouterr().out
    assert "--data-dir" in out and "default: None" not in out
    if "--time-budget" in options:
        assert "minutes" in options["--time-budget"]
