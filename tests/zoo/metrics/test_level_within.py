"""Evaluation inside a progressive level (issue 27, item 4): rows every N images at the fade-in's alpha, the real
images faded like the generator's output, kept beside the end-of-level rows and not measured twice after a resume."""

import csv
import os

import keras
import numpy as np
import pytest

from tests.zoo.training.test_progressive_budget import IMAGES, _make
from zoo.data import make_dataset
from zoo.data.source import ImageSource
from zoo.metrics.features import keras_extractor
from zoo.metrics.level_metrics import LevelMetrics, WithinLevelMetrics, faded_uint8
from zoo.training.progressive import level_schedule, train_progressive

SOURCE = ImageSource(name="tiny", arrays=IMAGES, labels={}, crop="none")
LEVELS = level_schedule((4, 8), 16, 4, fade_fraction=1.0)  # 4 steps per level; level 1 fades in over all 16 images


@pytest.fixture(scope="module")
def extractor():
    net = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3, activation="relu"),
                            keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(3)], name="tiny_net")
    return keras_extractor(net)


def test_faded_reals_are_the_blocks_mean_at_alpha_0_and_themselves_at_1():
    images = np.random.default_rng(0).integers(0, 256, (2, 4, 4, 3)).astype("uint8")
    np.testing.assert_array_equal(np.asarray(faded_uint8(images, 1.0)), images)
    blocks = images.astype(np.float64).reshape(2, 2, 2, 2, 2, 3).mean(axis=(2, 4))  # [B, 2, 2, C] block means
    expected = np.repeat(np.repeat(blocks, 2, axis=1), 2, axis=2)
    np.testing.assert_allclose(np.asarray(faded_uint8(images, 0.0)), expected, atol=1.0)
    half = np.asarray(faded_uint8(images, 0.5), np.float64)
    np.testing.assert_allclose(half, (images + expected) / 2, atol=1.0)


def _run(run_dir, extractor, levels=LEVELS, resume=False, every=8):
    t = _make()
    metrics = LevelMetrics(t, SOURCE, extractor, num_images=8, batch_size=4, kid_subsets=2, kid_subset_size=4,
                           csv_path=os.path.join(run_dir, "logs", "levels.csv"),
                           plot_path=os.path.join(run_dir, "plots", "levels.png"))
    seen = []
    measure = metrics.measure
    metrics.measure = lambda level, res, alpha=1.0: seen.append((level, alpha)) or measure(level, res, alpha)
    train_progressive(t, levels, lambda lv, s: make_dataset(SOURCE, lv.resolution, lv.batch_size, seed=lv.index,
                                                            start_batch=s),
                      str(run_dir), resume=resume, log_every=100, checkpoint_every=2, verbose=0,
                      after_level=metrics, extra_callbacks=[WithinLevelMetrics(metrics, levels, every)])
    with open(os.path.join(run_dir, "logs", "levels.csv"), newline="") as f:
        return list(csv.DictReader(f)), seen


def test_rows_inside_each_level_follow_the_fade_in_and_a_resume_measures_no_point_twice(tmp_path, extractor):
    rows, seen = _run(tmp_path, extractor)
    within = [(int(r["level"]), int(r["level_images"]), float(r["alpha"])) for r in rows if r["when"] == "within"]
    assert within == [(0, 8, 1.0), (1, 8, 0.5)]
    assert [(int(r["level"]), float(r["alpha"])) for r in rows if r["when"] == "end"] == [(0, 1.0), (1, 1.0)]
    assert (1, 0.5) in seen  # the fade-in was measured at its alpha, not at 1
    assert all(np.isfinite(float(r["fd[tiny_net]"])) for r in rows)
    assert os.path.isfile(tmp_path / "plots" / "levels_within.png") and os.path.isfile(tmp_path / "plots" / "levels.png")

    longer = level_schedule((4, 8), [16, 24], 4, fade_fraction=1.0)  # level 1 lengthened to 24 images
    rows, seen = _run(tmp_path, extractor, levels=longer, resume=True)
    keys = [(int(r["level"]), int(r["level_images"]), r["when"]) for r in rows]
    assert len(keys) == len(set(keys))
    # resumed at the end of level 1's first 16 images (measured then as its end): one new row inside, one new end
    assert [k for k in keys if k[2] == "within"] == [(0, 8, "within"), (1, 8, "within"), (1, 20, "within")]
    assert [k[:2] for k in keys if k[2] == "end"] == [(0, 16), (1, 24)]
    assert seen == [(1, 1.0), (1, 1.0)]


def test_the_flag_needs_an_extractor():
    from recipes.ffhq_progan import Config

    with pytest.raises(ValueError, match="--eval-extractor"):
        Config(eval_every_kimg=1.0).validate()
