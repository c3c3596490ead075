"""A progressive run killed between a level's last checkpoint and its end-of-level work (evaluation row in
levels.csv, sample grid) makes them on --resume from that checkpoint, equal to an uninterrupted run's."""

import csv
import os

import keras
import numpy as np
import pytest

from tests.zoo.training.test_progressive_budget import IMAGES, LEVELS, _make
from zoo.data import make_dataset
from zoo.data.source import ImageSource
from zoo.metrics.features import keras_extractor
from zoo.metrics.level_metrics import LevelMetrics
from zoo.training import progressive
from zoo.training.progressive import train_progressive

Z = np.random.default_rng(1).standard_normal((4, 8)).astype("float32")
SOURCE = ImageSource(name="tiny", arrays=IMAGES, labels={}, crop="none")


class Killed(Exception):
    """Stands for the process being killed."""


@pytest.fixture(scope="module")
def extractor():
    net = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3, activation="relu"),
                            keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(3)], name="tiny_net")
    return keras_extractor(net)


def _run(run_dir, extractor, resume=False, kill_evaluation_of=None):
    t = _make()
    metrics = LevelMetrics(t, SOURCE, extractor, num_images=8, batch_size=4, kid_subsets=2, kid_subset_size=4,
                           csv_path=os.path.join(run_dir, "logs", "levels.csv"))

    def killed_evaluation(lv):  # the process dies after the level's last checkpoint, before its evaluation
        if lv.index == kill_evaluation_of:
            raise Killed
        metrics(lv)

    train_progressive(t, LEVELS, lambda lv, s: make_dataset(SOURCE, lv.resolution, lv.batch_size, seed=lv.index,
                                                            start_batch=s),
                      str(run_dir), resume=resume, log_every=100, checkpoint_every=100, verbose=0,
                      render_samples=lambda: t.sample(Z),
                      after_level=metrics if kill_evaluation_of is None else killed_evaluation)


def _rows(run_dir):
    path = os.path.join(run_dir, "logs", "levels.csv")
    if not os.path.isfile(path):
        return {}
    with open(path, newline="") as f:
        return {r["level"]: r for r in csv.DictReader(f)}


def _grid(run_dir, lv):
    with open(progressive.level_grid_path(str(run_dir), lv), "rb") as f:
        return f.read()


@pytest.fixture(scope="module")
def straight(tmp_path_factory, extractor):
    run_dir = tmp_path_factory.mktemp("straight")
    _run(run_dir, extractor)
    return run_dir


@pytest.mark.parametrize("level, where", [(0, "evaluation"), (1, "evaluation"), (0, "grid")])
def test_a_level_killed_before_its_end_of_level_work_gets_it_on_resume(tmp_path, monkeypatch, extractor,
                                                                      straight, level, where):
    killed = tmp_path / "killed"
    if where == "grid":  # the evaluation ran, the process dies before the grid is written
        real_save = progressive.save_grid

        def save_grid(path, images):
            if os.path.basename(path).startswith(f"level{level}_"):
                raise Killed
            real_save(path, images)

        monkeypatch.setattr(progressive, "save_grid", save_grid)
    with pytest.raises(Killed):
        _run(killed, extractor, kill_evaluation_of=level if where == "evaluation" else None)
    monkeypatch.undo()
    lv = LEVELS[level]
    assert not os.path.isfile(progressive.level_grid_path(str(killed), lv))
    assert (str(level) in _rows(killed)) == (where == "grid")
    _run(killed, extractor, resume=True)
    assert _rows(killed)[str(level)] == _rows(straight)[str(level)]
    assert _grid(killed, lv) == _grid(straight, lv)
    assert sorted(_rows(killed)) == ["0", "1"] and os.path.isfile(progressive.level_grid_path(str(killed), LEVELS[1]))
