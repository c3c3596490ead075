"""A progressive run's time budget: summed over its levels and resumes, it stops the run with a checkpoint, and a
resume with a larger budget continues inside the level as if the run had not stopped."""

import json
import os
import time

import keras
import numpy as np

from zoo.data import make_dataset
from zoo.data.source import ImageSource
from zoo.training.checkpoint import latest_checkpoint, verify_checkpoint
from zoo.training.progressive import level_schedule, train_progressive


def _make():
    from zoo.models.progan import ProGANDiscriminator, ProGANGenerator
    from zoo.trainers.progressive_trainer import ProgressiveTrainer
    from zoo.training.setup import make_optimizer

    keras.utils.set_random_seed(3)
    g = ProGANGenerator(8, 8, 3, fmap_base=16, fmap_max=8)
    d = ProGANDiscriminator(8, 3, fmap_base=16, fmap_max=8, mbstd_group_size=2)
    t = ProgressiveTrainer(g, d, loss="wgan_gp", ema_decay=0.5, seed=5)
    adam = [make_optimizer("adam", 1e-3, 0.0, 0.99) for _ in range(2)]
    t.compile(g_optimizer=adam[0], d_optimizer=adam[1], jit_compile=False, run_eagerly=True)
    t.build_all()
    return t


LEVELS = level_schedule((4, 8), 8, 4)  # 2 steps per level
IMAGES = np.random.default_rng(0).integers(0, 256, (10, 8, 8, 3)).astype("uint8")


def _run(t, run_dir, **kw):
    source = ImageSource(name="tiny", arrays=IMAGES, labels={}, crop="none")
    return train_progressive(t, LEVELS, lambda lv, s: make_dataset(source, lv.resolution, lv.batch_size,
                                                                    seed=lv.index, start_batch=s),
                             str(run_dir), log_every=100, checkpoint_every=100, verbose=0, **kw)


def test_a_spent_budget_stops_inside_a_level_and_a_resume_finishes_the_run_exactly(tmp_path):
    straight = _make()
    _run(straight, tmp_path / "a")
    stopped = _make()
    result = _run(stopped, tmp_path / "b", time_budget_s=0.05)  # spent by the first (eager) step
    assert result["budget_spent"] and result["levels_done"] == [] and stopped.completed_steps() == 1
    status = json.loads((tmp_path / "b" / "status.json").read_text())
    assert status["reason"] == "time budget"
    assert latest_checkpoint(str(tmp_path / "b" / "checkpoints")).endswith("ckpt-00000001")
    resumed = _make()
    result = _run(resumed, tmp_path / "b", resume=True, time_budget_s=3600.0)
    assert not result["budget_spent"] and result["levels_done"] == [4, 8]
    assert resumed.completed_steps() == straight.completed_steps() == 4
    for a, b in zip(straight.variables, resumed.variables):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6, err_msg=a.path)


def test_the_stored_training_time_sums_over_the_levels(tmp_path):
    marks = {}

    class Mark(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            marks.setdefault("levels", []).append(time.time())

    t0 = time.time()
    _run(_make(), tmp_path, extra_callbacks=[Mark()])
    assert len(marks["levels"]) == 2
    last = latest_checkpoint(str(tmp_path / "checkpoints"))
    seconds = verify_checkpoint(last)["train_seconds"]
    # the last level's checkpoint counts level 0 too: at least the time until level 1 began (with the old
    # per-level count it held only level 1's own seconds)
    assert seconds >= 0.9 * (marks["levels"][1] - t0)
    assert os.path.basename(last) == "ckpt-00000004"
