import dataclasses
from typing import Literal

import pytest

from zoo.training.cli import config_from_dict, parse_config


@dataclasses.dataclass(frozen=True)
class Cfg:
    data: Literal["a", "b"] = "a"
    size: int = 64
    lr: float = 1e-3
    jit: bool = True
    levels: tuple[int, ...] = (4, 8)
    data_dir: str | None = None


def test_defaults_and_overrides():
    cfg, run, passed = parse_config(Cfg, ["--size", "16", "--no-jit", "--levels", "4,8,16", "--data-dir", "x"], "p")
    assert cfg == Cfg(size=16, jit=False, levels=(4, 8, 16), data_dir="x")
    assert passed == {"size", "jit", "levels", "data_dir"} and not run["resume"] and not run["dry_run"]


def test_resume_base_is_overridden_by_flags():
    cfg, run, _ = parse_config(Cfg, ["--resume", "--lr", "0.5"], "p", base={"size": 8, "lr": 0.1, "levels": [2]})
    assert cfg == Cfg(size=8, lr=0.5, levels=(2,)) and run["resume"] == "latest"


def test_unknown_flag_and_bad_choice_are_errors(capsys):
    with pytest.raises(SystemExit) as e:
        parse_config(Cfg, ["--no-such-flag"], "p")
    assert e.value.code == 2 and "--no-such-flag" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parse_config(Cfg, ["--data", "c"], "p")
    with pytest.raises(SystemExit):
        parse_config(Cfg, ["--siz", "3"], "p")  # no abbreviations


def test_config_from_dict_rejects_unknown_fields():
    with pytest.raises(ValueError, match="bogus"):
        config_from_dict(Cfg, {"bogus": 1})
