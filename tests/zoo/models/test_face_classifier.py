import numpy as np
import pytest

import keras

from zoo.models.face_classifier import FaceClassifier, FaceFeatures
from zoo.registry import from_preset, save_to_preset
from zoo.trainers.classifier_trainer import ClassifierTrainer, task_loss
from zoo.training.schedules import EpochInverseDecay

TINY = dict(image_size=16, channels=1, filters=(4, 8), dense_units=8)
ALL = ("gender", "ethnicity", "age")


def _images(n=3, size=16, channels=1, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, size, size, channels)).astype("float32")


@pytest.mark.parametrize("tasks", [("gender",), ("ethnicity",), ("age",), ALL])
def test_outputs_per_task_have_the_right_shapes_and_ranges(tasks):
    m = FaceClassifier(tasks, **TINY)
    out = m(_images())
    assert sorted(out) == sorted(tasks)
    if "gender" in out:
        assert out["gender"].shape == (3, 2)
        np.testing.assert_allclose(np.sum(out["gender"], -1), 1.0, atol=1e-5)
    if "ethnicity" in out:
        assert out["ethnicity"].shape == (3, 5)
        np.testing.assert_allclose(np.sum(out["ethnicity"], -1), 1.0, atol=1e-5)
    if "age" in out:
        assert out["age"].shape == (3,) and np.all(np.isfinite(out["age"]))


def test_colour_64px_variant_and_trunk_shape():
    m = FaceClassifier(ALL, image_size=64, channels=3, filters=(4, 4, 8), dense_units=8)
    assert m(_images(2, 64, 3))["ethnicity"].shape == (2, 5)
    f = FaceFeatures((4, 4, 8))
    assert f(_images(2, 48, 1)).shape == (2, 6 * 6 * 8)  # three 2x2 poolings: 48 -> 6


def test_age_head_is_offset_plus_scale_times_output():
    m = FaceClassifier(("age",), age_offset=30.0, age_scale=10.0, **TINY)
    m.build((None, 16, 16, 1))
    head = m.get_layer("age_out")
    head.set_weights([np.zeros_like(head.get_weights()[0]), np.array([0.5], "float32")])
    np.testing.assert_allclose(m(_images())["age"], [35.0, 35.0, 35.0], atol=1e-5)


def test_age_range_clamps_predictions_at_inference_only():
    m = FaceClassifier(("age",), age_offset=30.0, age_scale=10.0, dropout=0.0, **TINY)
    m.build((None, 16, 16, 1))
    x = _images(8)
    free = np.asarray(m(x)["age"])
    lo, hi = np.quantile(free, [0.25, 0.75])  # half of the predictions lie outside: the clamp must act
    clamped = FaceClassifier.from_config({**m.get_config(), "age_range": [lo, hi]})
    clamped.build((None, 16, 16, 1))
    clamped.set_weights(m.get_weights())
    np.testing.assert_allclose(clamped(x)["age"], np.clip(free, lo, hi), rtol=1e-6)
    np.testing.assert_allclose(clamped(x, training=True)["age"], m(x, training=True)["age"], rtol=1e-6)
    assert clamped.with_tasks(["age"]).age_range == (lo, hi)
    assert FaceClassifier.from_config(clamped.get_config()).age_range == (lo, hi)
    with pytest.raises(ValueError, match="age_range"):
        FaceClassifier(("age",), age_range=(10, 10), **TINY)


def test_with_tasks_keeps_the_trunk_and_heads():
    m = FaceClassifier(ALL, **TINY)
    x = _images()
    ref = m(x)
    gender = m.with_tasks(["gender"])
    assert gender.tasks == ("gender",) and gender.count_params() < m.count_params()
    out = gender(x)
    assert list(out) == ["gender"]
    np.testing.assert_array_equal(out["gender"], ref["gender"])
    np.testing.assert_array_equal(m.with_tasks(("ethnicity", "age"))(x)["age"], ref["age"])
    with pytest.raises(ValueError, match="no heads"):
        gender.with_tasks(["age"])


def test_test_time_flip_averages_the_image_and_its_mirror():
    plain = FaceClassifier(ALL, dropout=0.0, **TINY)
    x = _images(4)
    ref, mirrored = plain(x), plain(x[:, :, ::-1])
    tta = FaceClassifier.from_config({**plain.get_config(), "test_time_flip": True})
    tta.build((None, 16, 16, 1))
    tta.set_weights(plain.get_weights())
    out, out_mirrored = tta(x), tta(x[:, :, ::-1])
    for k in ALL:
        np.testing.assert_allclose(out[k], (np.asarray(ref[k]) + np.asarray(mirrored[k])) / 2, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(out_mirrored[k], out[k], rtol=1e-5, atol=1e-5)  # mirror-invariant
        assert not np.allclose(ref[k], mirrored[k], atol=1e-6)  # the plain model is not, so the test can fail
    np.testing.assert_allclose(np.sum(out["ethnicity"], -1), 1.0, atol=1e-5)
    # Training calls see the images as they are (batch-norm statistics of this batch alone).
    np.testing.assert_allclose(tta(x, training=True)["age"], plain(x, training=True)["age"], rtol=1e-6)
    assert tta.with_tasks(["age"]).test_time_flip


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="tasks"):
        FaceClassifier(("gender", "smile"))
    with pytest.raises(ValueError, match="channels"):
        FaceClassifier(channels=2)
    with pytest.raises(ValueError, match="too small"):
        FaceClassifier(image_size=4, filters=(4, 4, 4))


def test_config_round_trip_gives_identical_outputs():
    m = FaceClassifier(ALL, **TINY)
    x = _images()
    ref = m(x)
    clone = FaceClassifier.from_config(m.get_config())
    clone.build((None, 16, 16, 1))
    clone.set_weights(m.get_weights())
    assert clone.get_config() == m.get_config()
    for k in ALL:
        np.testing.assert_array_equal(clone(x)[k], ref[k])


@pytest.mark.parametrize("test_time_flip", [False, True])
def test_preset_round_trip_gives_identical_predictions(tmp_path, test_time_flip):
    m = FaceClassifier(ALL, test_time_flip=test_time_flip, **TINY)
    m.build((None, 16, 16, 1))
    x = _images()
    ref = m(x)
    save_to_preset(m, str(tmp_path / "p32"), {"licence": "test"})
    loaded = from_preset(str(tmp_path / "p32"))
    for k in ALL:
        np.testing.assert_array_equal(loaded(x)[k], ref[k])
    # float16 storage: the loaded model equals the original with its weights rounded to float16.
    save_to_preset(m, str(tmp_path / "p16"), {"licence": "test"}, weights_dtype="float16")
    m.set_weights([w.astype(np.float16).astype(w.dtype) for w in m.get_weights()])
    loaded16, ref16 = from_preset(str(tmp_path / "p16")), m(x)
    for k in ALL:
        np.testing.assert_array_equal(loaded16(x)[k], ref16[k])


def test_task_losses_by_hand():
    probs = np.array([[0.8, 0.2], [0.25, 0.75]], "float32")
    np.testing.assert_allclose(task_loss("gender", probs, np.array([0, 0])), [-np.log(0.8), -np.log(0.25)], rtol=1e-5)
    np.testing.assert_allclose(task_loss("age", np.array([30.0, 10.0]), np.array([20, 14]), age_scale=2.0),
                               [25.0, 4.0], rtol=1e-6)
    pred, true = np.array([30.0, 10.0, 21.0]), np.array([20, 14, 20])  # errors 5, -2, 0.5 in units of 2 years
    np.testing.assert_allclose(task_loss("age", pred, true, 2.0, "l1"), [5.0, 2.0, 0.5], rtol=1e-6)
    np.testing.assert_allclose(task_loss("age", pred, true, 2.0, "huber"), [4.5, 1.5, 0.125], rtol=1e-6)
    with pytest.raises(ValueError, match="unknown age loss"):
        ClassifierTrainer(FaceClassifier(("age",), 16, 1, (4, 4), 8), age_loss="l2")


def test_study_learning_rate_schedule():
    lr = EpochInverseDecay(steps_per_epoch=100)
    values = [float(lr(s)) for s in (0, 99, 100, 199, 200, 900)]
    np.testing.assert_allclose(values, [1 / 2000, 1 / 2000, 1 / 4000, 1 / 4000, 1 / 6000, 1 / 20000], rtol=1e-6)
    assert EpochInverseDecay.from_config(lr.get_config()).get_config() == lr.get_config()
    with pytest.raises(ValueError, match="steps_per_epoch"):
        EpochInverseDecay(0)


def test_one_training_step_changes_weights_and_losses_are_finite():
    m = FaceClassifier(ALL, **TINY)
    trainer = ClassifierTrainer(m)
    trainer.compile(optimizer=keras.optimizers.Adam(EpochInverseDecay(10)), jit_compile=False)
    trainer.build_all()
    before = [w.copy() for w in m.get_weights()]
    labels = {"gender": np.array([0, 1, 1, 0]), "ethnicity": np.array([0, 2, 4, 1]),
              "age": np.array([20, 35, 60, 8])}
    logs = trainer.train_on_batch(_images(4), labels, return_dict=True)
    assert all(np.isfinite(float(v)) for v in logs.values())
    assert {"loss", "gender_accuracy", "ethnicity_accuracy", "age_mae"} <= set(logs)
    assert trainer.completed_steps() == 1
    changed = [not np.array_equal(a, b) for a, b in zip(before, m.get_weights())]
    assert sum(changed) >= len(m.trainable_weights)


def test_ensemble_is_the_mean_of_its_members_and_round_trips(tmp_path):
    from zoo.models.face_classifier import FaceClassifierEnsemble

    a = FaceClassifier(("ethnicity", "age"), **TINY)
    b = FaceClassifier(("ethnicity", "age"), test_time_flip=True, **dict(TINY, filters=(8, 8)))
    x = _images(3)
    ra, rb = a(x), b(x)
    ens = FaceClassifierEnsemble([a, b])
    out = ens(x)
    for k in ("ethnicity", "age"):
        np.testing.assert_allclose(out[k], (np.asarray(ra[k]) + np.asarray(rb[k])) / 2, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.sum(out["ethnicity"], -1), 1.0, atol=1e-5)
    save_to_preset(ens, str(tmp_path / "ens"), {"licence": "test"})
    loaded = from_preset(str(tmp_path / "ens"))
    assert isinstance(loaded, FaceClassifierEnsemble) and loaded.members[1].test_time_flip
    assert (loaded.tasks, loaded.image_size, loaded.channels) == (("ethnicity", "age"), 16, 1)
    for k in ("ethnicity", "age"):
        np.testing.assert_array_equal(loaded(x)[k], out[k])
    with pytest.raises(ValueError, match="share heads and input"):
        FaceClassifierEnsemble([a, FaceClassifier(("age",), **TINY)])
    with pytest.raises(ValueError, match="at least 2"):
        FaceClassifierEnsemble([a])
