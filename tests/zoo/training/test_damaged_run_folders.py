"""A recipe's --resume over a damaged run folder, and runs that end in an error nobody anticipated."""

import json
import os

import pytest

from recipes import celeba_dcgan
from tests.zoo.training.test_recipe_failures import TINY, _one_line_error, _runs


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """The files of a 2-step run: {relative path: bytes}, copied into each test's own folder."""
    out = str(tmp_path_factory.mktemp("r"))
    assert celeba_dcgan.main([*TINY, "--steps", "2", "--out", out]) == 0
    run = os.path.join(out, _runs(out)[0])
    files = {}
    for root, _, names in os.walk(run):
        for name in names:
            path = os.path.join(root, name)
            files[os.path.relpath(path, run)] = open(path, "rb").read()
    return files


def _copy(files, run):
    for rel, data in files.items():
        os.makedirs(os.path.dirname(os.path.join(run, rel)), exist_ok=True)
        open(os.path.join(run, rel), "wb").write(data)
    return run


DAMAGE = {
    "random bytes in command.json": ("command.json", b"\x8b\x00\xff\x13garbage\xfe"),
    "command.json cut short": ("command.json", b'{"argv": ["python", "-m"'),
    "config.json cut short": ("config.json", b'{"image_size": 8, "batch_'),
    "config.json of another type": ("config.json", b'["image_size", 8]'),
    "NUL bytes in config.json": ("config.json", b"\x00" * 64),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_resume_over_a_damaged_record_is_one_sentence_and_exit_2(finished_run, tmp_path, capsys, damage):
    name, data = DAMAGE[damage]
    run = _copy(finished_run, str(tmp_path / "00000-celeba_dcgan"))
    open(os.path.join(run, name), "wb").write(data)
    capsys.readouterr()
    assert celeba_dcgan.main([*TINY, "--steps", "3", "--out", str(tmp_path), "--resume", run]) == 2
    line = _one_line_error(capsys.readouterr().err)
    assert os.path.join(run, name) in line and ("not readable JSON" in line or "where an object belongs" in line)
    assert ("restore it from a copy" in line)
    assert open(os.path.join(run, name), "rb").read() == data  # left as found for the person to look at
    assert sorted(os.listdir(os.path.join(run, "checkpoints"))) == ["ckpt-00000002", "latest"]


def test_a_resume_with_a_wrongly_typed_config_value_is_one_sentence_and_exit_2(finished_run, tmp_path, capsys):
    run = _copy(finished_run, str(tmp_path / "00000-celeba_dcgan"))
    config = json.loads(finished_run["config.json"])
    open(os.path.join(run, "config.json"), "w").write(json.dumps({**config, "image_size": "big"}))
    capsys.readouterr()
    assert celeba_dcgan.main([*TINY[:2], *TINY[4:], "--steps", "3", "--resume", run]) == 2  # the size from the file
    line = _one_line_error(capsys.readouterr().err)
    assert 'config.json: image_size is "big", expected int' in line


def _fails_to_load(monkeypatch):
    import zoo.training.setup as setup

    def broken(*args, **kwargs):
        raise RuntimeError("an error nobody\nanticipated")

    monkeypatch.setattr(setup, "load_training_source", broken)


def test_a_new_run_that_fails_unexpectedly_before_training_leaves_no_folder(tmp_path, monkeypatch, capsys):
    _fails_to_load(monkeypatch)
    out = str(tmp_path / "r")
    with pytest.raises(RuntimeError, match="nobody"):  # a bug keeps its traceback
        celeba_dcgan.main([*TINY, "--steps", "2", "--out", out])
    assert _runs(out) == [] and "(removed the unused run folder" in capsys.readouterr().out


def test_a_resume_that_fails_unexpectedly_says_so_in_status_json(finished_run, tmp_path, monkeypatch):
    run = _copy(finished_run, str(tmp_path / "00000-celeba_dcgan"))
    assert json.load(open(os.path.join(run, "status.json")))["status"] == "finished"
    _fails_to_load(monkeypatch)
    with pytest.raises(RuntimeError, match="nobody"):
        celeba_dcgan.main([*TINY, "--steps", "3", "--out", str(tmp_path), "--resume", run])
    status = json.load(open(os.path.join(run, "status.json")))
    assert status["status"] == "failed" and status["reason"] == "RuntimeError: an error nobody anticipated"
    assert status["step"] == 2  # what the run holds is still said
