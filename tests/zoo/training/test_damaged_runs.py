"""Resuming a run folder that a crash or a bad disk damaged: metrics.csv, checkpoints, status.json."""

import json
import os
import shutil

import numpy as np
import pytest

from recipes import celeba_dcgan
from tests.zoo.trainers.test_gan_trainer import make_trainer
from tests.zoo.training.test_reliability import _dirs, _run
from zoo.training.checkpoint import CheckpointError, load_checkpoint, save_checkpoint, verify_checkpoint
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


def _rewrite_variables(ckpt, change):
    """Rewrite ``ckpt``'s variables.npz with ``change(arrays)`` applied: a file that passes its CRC."""
    npz = os.path.join(ckpt, "variables.npz")
    with np.load(npz) as d:
        arrays = {k: d[k] for k in d.files}
    change(arrays)
    with open(npz, "wb") as f:
        np.savez(f, **arrays)
    verify_checkpoint(ckpt)


def test_a_newest_checkpoint_that_passes_its_crc_but_does_not_load_is_skipped_for_the_one_before(
        four_steps, tmp_path, capsys):
    run_dir = str(tmp_path / "run")
    shutil.copytree(four_steps, run_dir)
    newest = os.path.join(run_dir, "checkpoints", "ckpt-00000004")
    _rewrite_variables(newest, lambda a: a.update({"model/00001": np.zeros(3, np.float32)}))
    t, state = _run(run_dir, 4, resume=True)
    err = capsys.readouterr().err
    assert "skipping checkpoint ckpt-00000004" in err and "has shape (3,) in the checkpoint" in err
    assert "trying the one before it" in err
    assert t.completed_steps() == 4 and state.step == 4  # resumed at 3 and trained step 4 again
    load_checkpoint(newest, make_trainer().checkpoint_variables())  # rewritten by the resumed run: it loads


@pytest.mark.parametrize("damage", ["cut short", "unloadable"])
def test_a_resume_with_every_checkpoint_unusable_is_an_error_not_a_restart(tmp_path, capsys, damage):
    from tests.zoo.training.test_recipe_failures import TINY, _one_line_error, _runs

    out = str(tmp_path / "r")
    assert celeba_dcgan.main([*TINY, "--steps", "2", "--checkpoint-every", "1", "--out", out]) == 0
    run = os.path.join(out, _runs(out)[0])
    ckpts = [os.path.join(run, "checkpoints", c) for c in ("ckpt-00000001", "ckpt-00000002")]
    if damage == "cut short":  # a disk that lost both: neither passes its CRC
        for ckpt in ckpts:
            npz = os.path.join(ckpt, "variables.npz")
            os.truncate(npz, os.path.getsize(npz) // 2)
    else:  # both pass their CRC; one holds a wrong shape, the other text where numbers belong
        _rewrite_variables(ckpts[1], lambda a: a.update({"model/00001": np.zeros(3, np.float32)}))
        _rewrite_variables(ckpts[0], lambda a: a.update({"model/00001": np.full(a["model/00001"].shape, "x")}))
    status = open(os.path.join(run, "status.json")).read()
    capsys.readouterr()
    assert celeba_dcgan.main([*TINY, "--steps", "4", "--out", out, "--resume", run]) == 2
    err = capsys.readouterr().err
    line = _one_line_error(err)
    assert "none of the 2 checkpoints" in line and "cannot be resumed" in line and "from step 0" not in err
    # the older one was tried too, and said why it failed
    assert ("holds <U1 values" if damage == "unloadable" else "skipping checkpoint ckpt-00000001") in err
    assert sorted(os.listdir(os.path.join(run, "checkpoints"))) == ["ckpt-00000001", "ckpt-00000002", "latest"]
    assert open(os.path.join(run, "status.json")).read() == status  # nothing trained, nothing rewritten


def test_a_checkpoint_whose_variables_are_stored_in_another_order_is_refused_by_name(tmp_path):
    t = make_trainer()
    groups = t.checkpoint_variables()
    paths = [v.path for v in groups["model"]]
    i, j = (next(k for k, p in enumerate(paths) if p.endswith(f"/project_bn/{w}")) for w in ("gamma", "beta"))
    groups["model"][i].assign(np.full(groups["model"][i].shape, 2.0, np.float32))
    # code that listed the two same-shape variables the other way round wrote this checkpoint
    swapped = {**groups, "model": [*groups["model"]]}
    swapped["model"][i], swapped["model"][j] = swapped["model"][j], swapped["model"][i]
    path = save_checkpoint(str(tmp_path), swapped, {"step": 1})
    t2 = make_trainer()  # another instance: its Keras names differ (dcgan_generator_1/...) and still match
    with pytest.raises(CheckpointError, match=rf"model variable {i} is dcgan_generator(_\d+)?/project_bn/beta in "
                                              r"the checkpoint but dcgan_generator_\d+/project_bn/gamma in the model"):
        load_checkpoint(path, t2.checkpoint_variables())
    assert not np.any(t2.generator.get_layer("project_bn").beta.numpy() == 2.0)  # nothing was assigned
    path = save_checkpoint(str(tmp_path), groups, {"step": 2})
    load_checkpoint(path, t2.checkpoint_variables())
    np.testing.assert_array_equal(t2.generator.get_layer("project_bn").gamma.numpy(), 2.0)


def _strict_json(path):
    def refuse(name):
        raise ValueError(f"{path} holds {name}, which is not JSON")

    return json.loads(open(path).read(), parse_constant=refuse)


def test_any_error_in_the_loop_ends_status_json_as_failed_with_the_reason(tmp_path):
    import keras

    class Broken(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                raise RuntimeError("the plotting callback\nfailed")

    run_dir = _dirs(tmp_path)
    with pytest.raises(RuntimeError, match="plotting callback"):
        _run(run_dir, 6, extra_callbacks=[Broken()])
    status = _strict_json(os.path.join(run_dir, "status.json"))
    assert status["status"] == "failed" and status["reason"] == "RuntimeError: the plotting callback failed"
    assert status["step"] == 2


def test_status_json_stays_strict_json_when_a_loss_is_nan(tmp_path):
    from zoo.training.callbacks import NonFiniteLossError

    run_dir = _dirs(tmp_path)
    t = make_trainer()
    w = t.discriminator.to_logit.kernel
    w.assign(np.full(w.shape, np.nan, np.float32))
    with pytest.raises(NonFiniteLossError):
        _run(run_dir, 6, trainer=t)
    status = _strict_json(os.path.join(run_dir, "status.json"))
    assert status["status"] == "failed" and status["reason"] == "non-finite loss"
    assert status["logs"] and all(v == "nan" for v in status["logs"].values())
    assert all(np.isnan(float(v)) for v in status["logs"].values())  # float() still reads them


def test_a_run_resumed_inside_an_epoch_shows_that_epoch_and_step_not_a_finished_one(four_steps, tmp_path, capsys):
    run_dir = str(tmp_path / "run")
    shutil.copytree(four_steps, run_dir)  # 4 steps of epochs of 3: the resume is at step 2 of epoch 2
    capsys.readouterr()
    _run(run_dir, 9, resume=True, verbose=2)  # the one-line-per-epoch bar of logs and CI
    out = capsys.readouterr().out
    assert "(next: epoch 2, its step 2 of 3)" in out
    lines = [ln.split(" - ")[0].strip() for ln in out.splitlines() if ln.startswith("Epoch") or " - " in ln]
    assert lines == ["Epoch 2/3", "3/3", "Epoch 3/3", "3/3"], out  # fit alone said "Epoch 2/2" and "2/2"
