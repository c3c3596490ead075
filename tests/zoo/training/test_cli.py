import dataclasses
from typing import Literal

import pytest

from zoo.training.cli import build_parser, config_from_dict, parse_config


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


# -- help generated from the Config fields' comments ----------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Base:
    steps: int = 0  # cap on total steps
    # spread over two words
    out: str = "runs#1"  # parent folder
    note: str = "a # in a string"
    mask_dir: str | None = None  # masks; default <data_dir>_rembg


@dataclasses.dataclass(frozen=True)
class Sub(Base):
    """A config that re-declares fields of its base."""

    data: Literal["a", "b"] = "b"  # which set
    data_dir: str | None = None  # folder; default data/<data>, or <data>.csv
    steps: int = 5  # at most this many steps
    out: str = "elsewhere"
    size: int = dataclasses.field(default=8, metadata={"help": "from metadata"})  # from the comment
    levels: tuple[int, ...] = (4, 8)  # sides, pixels
    note: str = ""  # 10% of it


def test_field_help_comes_from_the_source_comments():
    from zoo.training.cli import field_help

    helps = field_help(Sub)
    assert helps["steps"] == "at most this many steps (default: 5)"  # the subclass's comment wins
    assert helps["out"] == "parent folder (default: elsewhere)"  # re-declared without one: the base's
    assert helps["size"] == "from metadata (default: 8)"  # metadata["help"] wins over the comment
    assert helps["levels"] == "sides, pixels (default: 4,8)"  # as typed on the command line
    # what None means, with --data's default
    assert helps["data_dir"] == "folder (default: data/b, or b.csv, for --data b)"
    assert helps["mask_dir"] == "masks (default: <data_dir>_rembg)"  # a None default stays a placeholder
    assert helps["note"] == '10% of it (default: "")'
    assert field_help(Base)["note"] == "(default: a # in a string)"  # no comment: a '#' in a string is not one
    parser = build_parser(Sub, "p")
    text = parser.format_help()  # '%' escaped for argparse
    assert "10% of it" in text and "at most this many steps" in text


def test_comment_lines_above_a_field_describe_it():
    from zoo.training.cli import field_comments

    @dataclasses.dataclass(frozen=True)
    class Above:
        # first line
        # second line
        a: int = 1

        # a comment then a blank line: not a's or b's

        b: int = 2
        c: int = 3  # trailing wins
        # orphan at the end

    assert field_comments(Above) == {"a": "first line second line", "c": "trailing wins"}
