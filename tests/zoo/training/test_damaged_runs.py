"""Resuming a run folder that a crash or a bad disk damaged: metrics.csv, checkpoints, status.json."""

import os
import shutil

import pytest

from tests.zoo.training.test_reliability import _dirs, _run
from zoo.training.metrics_file import read_metrics


def _lines(path):
    return open(path, "rb").read().split(b"\n")


def _damage_row(path, index, how):
    """Damage line ``index`` (0 is the header) of the metrics file in place."""
    lines = _lines(path)
    cells = lines[index].split(b",")
    if how == "invalid UTF-8":
        cells[-1] = cells[-1][:2] + b"\xff\xfe" + cells[-1][2:]
    else:  # NUL bytes where a value was, as a disk that lost a block leaves them
        cells[-1] = b"\x00" * len(cells[-1])
    lines[index] = b",".join(cells)
    open(path, "wb").write(b"\n".join(lines))


@pytest.fixture(scope="module")
def four_steps(tmp_path_factory):
    """A run folder after 4 steps (checkpoints 3 and 4, one metrics row a step plus epoch-end rows)."""
    run_dir = _dirs(tmp_path_factory.mktemp("four"))
    _run(run_dir, 4)
    return run_dir


@pytest.mark.parametrize("damage", ["invalid UTF-8", "NUL bytes", "a cut last line"])
def test_a_resume_over_a_damaged_metrics_file_keeps_every_intact_row(four_steps, tmp_path, capsys, damage):
    run_dir = str(tmp_path / "run")
    shutil.copytree(four_steps, run_dir)
    path = os.path.join(run_dir, "logs", "metrics.csv")
    fields, before, dropped = read_metrics(path)
    assert dropped == 0 and [int(r["step"]) for r in before] == [1, 2, 3, 3, 4, 4]
    if damage == "a cut last line":
        lost = len(before) - 1
        data = open(path, "rb").read()
        open(path, "wb").write(data[:data.rstrip(b"\r\n").rindex(b",") + 2])  # the kill lands mid-value
    else:
        lost = 1
        _damage_row(path, lost + 1, damage)
    capsys.readouterr()
    _, state = _run(run_dir, 6, resume=True)
    assert state.step == 6
    assert f"kept {len(before) - 1} intact rows and dropped 1 damaged line" in capsys.readouterr().out
    # the damaged file as found is kept beside the repaired one
    assert open(path + ".damaged", "rb").read() != open(path, "rb").read()
    after_fields, after, dropped = read_metrics(path)
    assert dropped == 0 and after_fields == fields
    intact = before[:lost] + before[lost + 1:]
    assert after[:len(intact)] == intact  # the very same rows, values and all
    assert [int(r["step"]) for r in after[len(intact):]] == [5, 6, 6]  # then the resumed steps, none glued on
    lines = open(path, "rb").read().decode("utf-8").splitlines()
    assert len(lines) == 1 + len(after) and all(ln.count(",") == len(fields) - 1 for ln in lines)
    assert os.path.isdir(os.path.join(run_dir, "checkpoints", "ckpt-00000006"))


def test_a_metrics_file_with_an_unreadable_header_starts_again_and_says_so(four_steps, tmp_path, capsys):
    run_dir = str(tmp_path / "run")
    shutil.copytree(four_steps, run_dir)
    path = os.path.join(run_dir, "logs", "metrics.csv")
    open(path, "wb").write(os.urandom(300).replace(b"\n", b"x"))
    _, state = _run(run_dir, 6, resume=True)
    assert state.step == 6 and "kept 0 intact rows and dropped 1 damaged line" in capsys.readouterr().out
    assert [int(r["step"]) for r in read_metrics(path)[1]] == [5, 6, 6]
