import csv
import json
import os

import numpy as np
import pytest

from recipes import utkface_classifiers as uc
from tests.conftest import UTKFACE_REAL, needs_real_utkface
from zoo.classification.dataset import make_labelled_dataset, random_shift
from zoo.classification.evaluation import predict_dataset
from zoo.classification.presets import export_presets
from zoo.data.splits import split_indices, split_seed
from zoo.data.utkface import parse_name

TINY = ["--data", "synthetic", "--image-size", "16", "--batch-size", "4", "--num-synthetic", "60",
        "--filters", "4,8", "--dense-units", "8", "--no-jit-compile", "--num-samples", "4"]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("c"))
    assert uc.main([*TINY, "--task", "all", "--steps", "2", "--out", out]) == 0
    runs = [d for d in os.listdir(out) if d.endswith("-utkface_classifiers")]
    assert len(runs) == 1
    return os.path.join(out, runs[0])


def test_two_steps_on_synthetic_write_the_report(tiny_run):
    for f in ("report.md", "metrics.json", "split.json", "split.csv", "best.json", "logs/metrics.csv",
              "logs/validation.csv", "plots/losses.png", "preset/metadata.json"):
        assert os.path.isfile(os.path.join(tiny_run, f)), f
    for f in ("confusion_gender.png", "confusion_ethnicity.png", "age_histograms.png", "gender_accuracy_by_age.png",
              "sample_predictions.png", "class_balance.png", "training_curves.png", "feature_maps.png"):
        assert os.path.isfile(os.path.join(tiny_run, "report", f)), f
    split = json.load(open(os.path.join(tiny_run, "split.json")))
    assert split["counts"] == {"train": 42, "validation": 12, "test": 6} and split["seed"] == 0
    metrics = json.load(open(os.path.join(tiny_run, "metrics.json")))
    test = metrics["test"]
    assert test["gender"]["count"] == 6 and 0 <= test["gender"]["accuracy"] <= 1
    assert np.array(test["ethnicity"]["confusion"]).sum() == 6 and test["age"]["mae"] >= 0
    report = open(os.path.join(tiny_run, "report.md")).read()
    assert "gender_accuracy" in report and "age_mae" in report and "macro F1" in report
    assert "(report/training_curves.png)" in report and "(report/feature_maps.png)" in report
    meta = json.load(open(os.path.join(tiny_run, "preset", "metadata.json")))
    assert meta["split"]["proportions"] == [0.7, 0.2, 0.1] and "training_command" in meta
    assert meta["metrics"]["test"]["gender_accuracy"] == pytest.approx(test["gender"]["accuracy"], abs=1e-4)


def test_predicted_ages_are_clamped_to_the_training_range(tiny_run, tmp_path):
    from zoo.registry import from_preset
    from zoo.training.setup import load_training_source

    model = from_preset(os.path.join(tiny_run, "preset"))
    stored = json.load(open(os.path.join(tiny_run, "config.json")))
    cfg = uc.Config(**{k: stored[k] for k in ("data", "num_synthetic", "image_size", "channels", "seed")})
    ages = load_training_source(cfg, whole_batches=False).labels["age"]
    train_ages = ages[split_indices(len(ages), cfg.split, split_seed(cfg))["train"]]
    assert model.age_range == (train_ages.min(), train_ages.max())
    assert uc.main([*TINY, "--task", "age", "--steps", "1", "--no-age-clip", "--out", str(tmp_path)]) == 0
    run = os.path.join(tmp_path, os.listdir(tmp_path)[0])
    assert from_preset(os.path.join(run, "preset")).age_range is None


def test_export_presets_splits_the_multitask_model(tiny_run, tmp_path):
    from zoo.registry import from_preset

    paths = export_presets(tiny_run, str(tmp_path), training_command="python -m recipes.utkface_classifiers x")
    names = sorted(os.path.basename(p) for p in paths)
    assert names == ["classifier_age_utkface_16", "classifier_ethnicity_utkface_16", "classifier_gender_utkface_16",
                     "classifier_multitask_utkface_16"]
    x = np.random.default_rng(0).uniform(-1, 1, (2, 16, 16, 1)).astype("float32")
    full = from_preset(str(tmp_path / "classifier_multitask_utkface_16"))
    gender = from_preset(str(tmp_path / "classifier_gender_utkface_16"))
    np.testing.assert_array_equal(gender(x)["gender"], full(x)["gender"])
    meta = json.load(open(tmp_path / "classifier_gender_utkface_16" / "metadata.json"))
    assert set(meta["metrics"]["test"]) == {"gender_accuracy", "gender_macro_f1"}
    assert meta["training_command"].endswith(" x") and "derived_from" in meta and "licence" in meta


def test_export_presets_of_a_folder_that_is_not_a_finished_run_exits_2_with_a_sentence(tmp_path, capsys):
    assert uc.main(["export-presets", str(tmp_path), "--dest", str(tmp_path / "out")]) == 2
    assert "has no preset/" in capsys.readouterr().err and not (tmp_path / "out").exists()


def test_resume_of_a_finished_run_does_no_new_steps(tiny_run, capsys):
    assert uc.main([*TINY, "--task", "all", "--steps", "2", "--resume", tiny_run]) == 0
    assert "at step 2" in capsys.readouterr().out


def test_a_finished_run_is_rescored_with_test_time_flip(tiny_run, tmp_path, capsys):
    import shutil

    from zoo.registry import from_preset

    run = str(shutil.copytree(tiny_run, tmp_path / "run"))
    assert uc.main([*TINY, "--task", "all", "--steps", "2", "--resume", run, "--test-time-flip"]) == 0
    assert "at step 2" in capsys.readouterr().out  # no new training step: only the report and preset change
    meta = json.load(open(os.path.join(run, "preset", "metadata.json")))
    assert meta["config"]["test_time_flip"] and "--resume" in meta["training_command"]
    model = from_preset(os.path.join(run, "preset"))
    assert model.test_time_flip
    x = np.random.default_rng(0).uniform(-1, 1, (2, 16, 16, 1)).astype("float32")
    np.testing.assert_allclose(model(x)["age"], model(x[:, :, ::-1])["age"], rtol=1e-5)


def test_ensemble_of_two_runs_on_one_split(tiny_run, tmp_path, capsys):
    from zoo.models.face_classifier import FaceClassifierEnsemble
    from zoo.registry import from_preset

    out = str(tmp_path)
    assert uc.main([*TINY, "--task", "all", "--steps", "2", "--filters", "8,4", "--out", out]) == 0
    other = os.path.join(out, sorted(os.listdir(out))[0])
    assert uc.main(["ensemble", tiny_run, other, "--out", out]) == 0
    ens_dir = os.path.join(out, sorted(os.listdir(out))[-1])
    summary = json.load(open(os.path.join(ens_dir, "ensemble.json")))
    assert len(summary["members"]) == 2 and "gender_accuracy" in summary["validation"]
    assert os.path.isfile(os.path.join(ens_dir, "report.md"))
    model = from_preset(os.path.join(ens_dir, "preset"))
    assert isinstance(model, FaceClassifierEnsemble)
    assert model.preset_metadata["ensemble_validation"] == summary["validation"]
    assert [m["run"] for m in model.preset_metadata["ensemble_of"]] == [os.path.basename(tiny_run),
                                                                        os.path.basename(other)]
    a, b = from_preset(os.path.join(tiny_run, "preset")), from_preset(os.path.join(other, "preset"))
    x = np.random.default_rng(1).uniform(-1, 1, (3, 16, 16, 1)).astype("float32")
    np.testing.assert_allclose(model(x)["age"], (np.asarray(a(x)["age"]) + np.asarray(b(x)["age"])) / 2, rtol=1e-5)
    # export-presets splits the multi-task ensemble into per-head ensembles
    written = export_presets(ens_dir, str(tmp_path / "presets"))
    gender = from_preset([w for w in written if "gender" in os.path.basename(w)][0])
    np.testing.assert_allclose(gender(x)["gender"], model(x)["gender"], rtol=1e-6)
    # --calibrate-age: a monotone map of the ensemble's ages fit on validation, reported with its out-of-sample figure
    assert uc.main(["ensemble", tiny_run, other, "--calibrate-age", "--out", out]) == 0
    cal_dir = os.path.join(out, sorted(d for d in os.listdir(out) if d.endswith("-utkface_classifiers"))[-1])
    fit = json.load(open(os.path.join(cal_dir, "ensemble.json")))["age_calibration"]
    assert fit["fit_on"] == "validation split" and fit["knots"] >= 2
    mae = fit["validation_age_mae"]
    assert mae["uncalibrated"] == summary["validation"]["age_mae"] and mae["cross_fitted_5x5"] > 0
    calibrated = from_preset(os.path.join(cal_dir, "preset"))
    cal = calibrated.age_calibration
    assert calibrated.preset_metadata["age_calibration_fit"] == fit
    np.testing.assert_allclose(calibrated(x)["age"], np.interp(np.asarray(model(x)["age"]), cal["x"], cal["y"]),
                               rtol=1e-4, atol=1e-3)
    np.testing.assert_array_equal(calibrated(x)["gender"], model(x)["gender"])
    assert "cross-fitted" in open(os.path.join(cal_dir, "report.md")).read()
    # another split is refused with a clear message, not averaged over different test sets
    capsys.readouterr()
    assert uc.main([*TINY, "--task", "all", "--steps", "1", "--split-seed", "3", "--out", str(tmp_path / "s")]) == 0
    moved = os.path.join(tmp_path / "s", os.listdir(tmp_path / "s")[0])
    assert uc.main(["ensemble", tiny_run, moved, "--out", out]) == 2
    assert "split" in capsys.readouterr().err
    # --calibrate-age on runs without an age head is refused before any work
    assert uc.main([*TINY, "--task", "gender", "--steps", "1", "--out", str(tmp_path / "g")]) == 0
    gender_run = os.path.join(tmp_path / "g", os.listdir(tmp_path / "g")[0])
    capsys.readouterr()
    assert uc.main(["ensemble", gender_run, gender_run, "--calibrate-age", "--out", str(tmp_path / "g")]) == 2
    assert "needs runs with an age head" in capsys.readouterr().err


def test_split_proportions_and_reproducibility():
    a = split_indices(1000, (0.7, 0.2, 0.1), seed=3)
    assert [len(a[k]) for k in ("train", "validation", "test")] == [700, 200, 100]
    assert sorted(np.concatenate(list(a.values())).tolist()) == list(range(1000))  # disjoint, complete
    b = split_indices(1000, (0.7, 0.2, 0.1), seed=3)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    # --split-seed decouples the split from --seed (initialisation, shuffling), so reruns share a test set.
    assert split_seed(uc.Config(seed=1, split_seed=3)) == 3 and split_seed(uc.Config(seed=4)) == 4
    c = split_indices(1000, (0.7, 0.2, 0.1), seed=4)
    assert not np.array_equal(a["test"], c["test"])
    with pytest.raises(ValueError, match="summing to 1"):
        split_indices(100, (0.7, 0.2, 0.2))
    with pytest.raises(ValueError, match="empty"):
        split_indices(3, (0.7, 0.2, 0.1))  # 2 / 0 / 1


def test_labels_reach_the_heads_as_parsed_from_the_names(utkface_dir):
    from zoo.data import load_source

    assert parse_name("26_1_3_20170117154848125.jpg.chip.jpg") == {"age": 26, "gender": 1, "race": 3}
    assert parse_name("39_1_20170116174525125.jpg.chip.jpg") is None
    source = load_source("utkface", utkface_dir)
    cfg = uc.Config(image_size=16, batch_size=32)
    images, labels = next(iter(make_labelled_dataset(source, cfg, training=False)))
    assert images.shape == (12, 16, 16, 1)
    expected = [parse_name(p) for p in source.paths]
    assert labels["gender"].numpy().tolist() == [e["gender"] for e in expected]
    assert labels["ethnicity"].numpy().tolist() == [e["race"] for e in expected]
    assert labels["age"].numpy().tolist() == [e["age"] for e in expected]


def test_shift_translates_each_image_by_at_most_the_margin():
    import tensorflow as tf

    images = tf.random.stateless_uniform((16, 20, 20, 1), seed=(1, 2))
    out = random_shift(images, 0.1, seed=7, index=tf.constant(3, tf.int64)).numpy()
    x = images.numpy()
    assert out.shape == x.shape
    moves = set()
    for a, b in zip(x, out):
        # The centre 16x16 of the output is a window of the input at one offset (dy, dx) in [-2, 2]^2.
        hits = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)
                if np.array_equal(b[2:18, 2:18], a[2 - dy:18 - dy, 2 - dx:18 - dx])]
        assert len(hits) == 1
        moves.add(hits[0])
    assert len(moves) > 3  # offsets are drawn per image, not once per batch
    again = random_shift(images, 0.1, seed=7, index=tf.constant(3, tf.int64)).numpy()
    assert np.array_equal(out, again)  # seeded by (seed, batch index): a resumed run sees the same batches
    assert not np.array_equal(out, random_shift(images, 0.1, seed=7, index=tf.constant(4, tf.int64)).numpy())
    assert random_shift(images, 0.01, seed=7, index=tf.constant(3, tf.int64)) is images  # margin rounds to 0 px


def test_out_of_range_shift_is_a_clear_error(tmp_path, capsys):
    assert uc.main([*TINY, "--shift", "0.5", "--out", str(tmp_path)]) == 2
    assert "--shift must be a fraction" in capsys.readouterr().err


def test_dry_run_prints_the_study_defaults(capsys):
    assert uc.main(["--dry-run"]) == 0
    out = capsys.readouterr().out
    cfg = json.loads(out[: out.rindex("}") + 1])
    assert (cfg["image_size"], cfg["channels"], cfg["epochs"], cfg["lr_denominator"]) == (48, 1, 10, 2000.0)
    assert cfg["split"] == [0.7, 0.2, 0.1] and "1 / (2000 (1 + E))" in out


def test_predict_prints_writes_csv_and_rejects_text(tiny_run, tmp_path, capsys):
    from PIL import Image

    preset = os.path.join(tiny_run, "preset")
    folder = tmp_path / "imgs"
    folder.mkdir()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (40, 30, 3), dtype=np.uint8)).save(folder / "a.jpg")
    Image.fromarray(rng.integers(0, 255, (16, 16), dtype=np.uint8)).save(folder / "b.png")
    assert uc.main(["predict", "--no-align", "--preset", preset, str(folder / "a.jpg")]) == 0
    out = capsys.readouterr().out
    assert "gender" in out and "p=" in out and "age" in out and "converted" in out and "30x40" in out
    csv_path = str(tmp_path / "p.csv")
    assert uc.main(["predict", "--no-align", "--preset", preset, "--csv", csv_path, str(folder)]) == 0
    rows = list(csv.DictReader(open(csv_path)))
    assert [r["file"] for r in rows] == ["a.jpg", "b.png"]
    assert list(rows[0]) == ["file", "gender", "gender_prob", "ethnicity", "ethnicity_prob", "low_confidence",
                            "age"]
    assert rows[0]["gender"] in ("0", "1") and 0.5 <= float(rows[0]["gender_prob"]) <= 1
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    capsys.readouterr()
    assert uc.main(["predict", "--no-align", "--preset", preset, str(text)]) == 2
    err = capsys.readouterr().err
    assert "notes.txt" in err and "not a readable image" in err and "Traceback" not in err
    assert uc.main(["predict", "--no-align", "--preset", preset, str(tmp_path / "missing.jpg")]) == 2


@needs_real_utkface()
def test_builtin_gender_preset_predicts_a_real_face(capsys):
    import zoo

    if "classifier_gender_utkface_48" not in zoo.list_presets():
        pytest.skip("the gender preset is not installed")
    name = sorted(f for f in os.listdir(UTKFACE_REAL) if parse_name(f))[0]
    assert uc.main(["predict", "--preset", "classifier_gender_utkface_48", os.path.join(UTKFACE_REAL, name)]) == 0
    out = capsys.readouterr().out
    assert "gender" in out and "p=" in out and "200x200" in out


@needs_real_utkface()
def test_builtin_age_preset_scores_its_recorded_test_mae_on_the_real_split():
    """The age preset's metadata (test MAE, split) is what the shipped weights and calibration give on real faces."""
    import zoo
    from zoo.training.setup import load_training_source

    if "classifier_age_utkface_48" not in zoo.list_presets():
        pytest.skip("the age preset is not installed")
    model = zoo.from_preset("classifier_age_utkface_48")
    meta = model.preset_metadata
    stored = meta["config"]
    cfg = uc.Config(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in stored.items()
                       if k in ("task", "image_size", "channels", "split", "split_seed", "seed", "batch_size")},
                    data="utkface", data_dir=UTKFACE_REAL)
    source = load_training_source(cfg)
    test = split_indices(len(source), cfg.split, split_seed(cfg))["test"]
    assert len(test) == meta["split"]["counts"]["test"]
    outputs, labels, _ = predict_dataset(model, make_labelled_dataset(source.subset(test), cfg, training=False))
    mae = np.abs(outputs["age"] - labels["age"]).mean()
    assert mae == pytest.approx(meta["metrics"]["test"]["age_mae"], abs=1e-3)
    assert model.age_calibration is not None and meta["age_calibration_fit"]["fit_on"] == "validation split"


def test_the_feature_maps_are_the_layers_that_make_the_features(tiny_run):
    """maps() runs the same layers as call(): its last map, flattened, is the classifier's feature vector, and each
    block's pooling halves the side."""
    from zoo.registry import from_preset

    model = from_preset(os.path.join(tiny_run, "preset"))
    x = np.random.default_rng(0).uniform(-1, 1, (2, 16, 16, 1)).astype("float32")
    maps = model.features.maps(x)
    assert [name for name, _ in maps] == ["conv0 + ReLU", "pool0", "bn0", "conv1 + ReLU", "pool1", "bn1"]
    assert [tuple(np.shape(a))[1:] for _, a in maps] == [(16, 16, 4), (8, 8, 4), (8, 8, 4), (8, 8, 8), (4, 4, 8),
                                                           (4, 4, 8)]
    assert float(np.min(maps[0][1])) >= 0  # after the ReLU
    np.testing.assert_allclose(np.reshape(maps[-1][1], (2, -1)), model.features(x, training=False), atol=1e-6)


def test_the_figures_command_redraws_a_runs_figures_and_refuses_what_it_cannot_draw(tiny_run, tmp_path, capsys):
    from zoo.classification import figures

    out = str(tmp_path / "fig")
    # a synthetic run has no data folder to take a test face from: one sentence, exit 2
    assert figures.main([tiny_run, "--out", out]) == 2
    assert "give --image FACE" in capsys.readouterr().err
    from PIL import Image

    face = str(tmp_path / "face.png")
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (40, 30, 3), dtype=np.uint8)).save(face)
    assert figures.main([tiny_run, "--image", face, "--out", out]) == 0
    assert sorted(os.listdir(out)) == ["feature_maps.png", "training_curves.png"]
    assert figures.main([str(tmp_path), "--out", out]) == 2
    assert "not a run folder" in capsys.readouterr().err
