"""--init-from PRESET on the GAN recipes (issue 28 item 3): a new run starts from the preset's generator (and its EMA
copy) and from the discriminator the preset carries (make_preset --with-discriminator), else a fresh one, said and
recorded; an architecture that is not the preset's is refused before training; --resume never re-reads the preset."""

import json
import os
import shutil

import numpy as np
import pytest

from recipes import celeba_dcgan, celeba_wgan_gp
from tests.zoo.test_bad_input import assert_one_sentence, run

# 8 px, batch 2: the source run and every fine-tuning run below share this architecture
TINY = ["--data", "synthetic", "--image-size", "8", "--batch-size", "2", "--num-synthetic", "16", "--base-filters",
        "4", "--latent-dim", "8", "--num-samples", "4", "--no-jit-compile"]


def _run_dir(out):
    (name,) = os.listdir(out)
    return os.path.join(out, name)


@pytest.fixture(scope="module")
def presets(tmp_path_factory):
    """A 3-step DCGAN run with an EMA generator (so the preset's generator, the EMA one, is not the trained one) and
    two presets of it: with its discriminator and without."""
    from zoo.make_preset import make_preset

    root = tmp_path_factory.mktemp("source")
    out = str(root / "runs")
    assert celeba_dcgan.main([*TINY, "--steps", "3", "--ema-kimg", "0.004", "--seed", "5", "--out", out]) == 0
    run_dir = _run_dir(out)
    return {"run": run_dir,
            "with_d": make_preset(run_dir, "generator", str(root / "with_d"), with_discriminator=True),
            "without_d": make_preset(run_dir, "generator", str(root / "without_d"))}


def _capture_start(monkeypatch):
    """Replace the training loop by a recorder of the trainer's weights as the loop would receive them (step 0)."""
    import zoo.training.loop

    seen = {}

    def record(trainer, *args, **kwargs):
        trainer.build_all()  # as the loop does first (a run without --init-from builds its discriminator there)
        seen["generator"] = [np.array(w) for w in trainer.generator.get_weights()]
        seen["ema"] = [np.array(e) for e in trainer.ema_weights]
        seen["discriminator"] = [np.array(w) for w in trainer.discriminator.get_weights()]
        seen["trainable"] = [np.array(w) for w in trainer.generator.trainable_variables]
        return None

    monkeypatch.setattr(zoo.training.loop, "train", record)
    return seen


def _assert_same(actual, expected):
    assert len(actual) == len(expected) > 0
    for a, e in zip(actual, expected):
        np.testing.assert_array_equal(a, e)


def test_a_preset_carries_its_discriminator_and_loads_its_generator_as_before(presets):
    from zoo.registry import from_preset, load_preset_metadata, preset_part
    from zoo.runs import load_run

    _, _, trainer = load_run(presets["run"])
    carried = preset_part(presets["with_d"], "discriminator")
    assert type(carried).__name__ == "DCGANDiscriminator"
    _assert_same(carried.get_weights(), trainer.discriminator.get_weights())
    meta = load_preset_metadata(presets["with_d"])
    assert meta["discriminator"]["weights_sha256"] == carried.preset_metadata["weights_sha256"]
    assert carried.preset_metadata["run_model"] == {"part": "discriminator", "step": 3}
    assert preset_part(presets["without_d"], "discriminator") is None and "discriminator" not in \
        load_preset_metadata(presets["without_d"])
    _assert_same(from_preset(presets["with_d"]).get_weights(), from_preset(presets["without_d"]).get_weights())


def test_the_carried_discriminator_takes_the_float16_rule_and_a_rewrite_without_it_drops_it(presets, tmp_path):
    from zoo.make_preset import make_preset
    from zoo.registry import load_preset_metadata, preset_part

    out = make_preset(presets["run"], "generator", str(tmp_path / "p"), weights_dtype="float16",
                      with_discriminator=True)
    sub = load_preset_metadata(os.path.join(out, "discriminator"))
    assert sub["weights_dtype"] in ("float16", "float32") and "storage_max_abs_output_difference" in sub
    assert load_preset_metadata(out)["discriminator"]["weights_dtype"] == sub["weights_dtype"]
    assert preset_part(out, "discriminator") is not None
    make_preset(presets["run"], "generator", out)
    assert not os.path.exists(os.path.join(out, "discriminator")) and preset_part(out, "discriminator") is None


def test_a_run_from_a_preset_starts_with_its_generator_ema_and_discriminator(presets, tmp_path, monkeypatch, capsys):
    from zoo.registry import from_preset, load_preset_metadata, preset_part

    seen = _capture_start(monkeypatch)
    out = str(tmp_path / "runs")
    assert celeba_dcgan.main([*TINY, "--steps", "2", "--ema-kimg", "0.004", "--init-from", presets["with_d"],
                              "--out", out]) == 0
    generator = from_preset(presets["with_d"])
    _assert_same(seen["generator"], generator.get_weights())
    _assert_same(seen["ema"], [np.asarray(w) for w in generator.trainable_variables])
    _assert_same(seen["discriminator"], preset_part(presets["with_d"], "discriminator").get_weights())
    assert "the generator and its EMA copy from the preset, the discriminator from the preset" in \
        capsys.readouterr().out
    run_dir = _run_dir(out)
    sha = load_preset_metadata(presets["with_d"])["weights_sha256"]
    config = json.load(open(os.path.join(run_dir, "config.json")))
    assert config["init_from"] == presets["with_d"] and config["init_from_sha256"] == sha
    record = json.load(open(os.path.join(run_dir, "init_from.json")))
    assert record["weights_sha256"] == sha and record["discriminator"] == "preset" and record["ema_from_preset"]


def test_without_a_carried_discriminator_the_run_has_a_fresh_one_and_says_so(presets, tmp_path, monkeypatch, capsys):
    from zoo.registry import from_preset

    seen = _capture_start(monkeypatch)
    assert celeba_dcgan.main([*TINY, "--steps", "2", "--out", str(tmp_path / "scratch")]) == 0
    fresh = seen["discriminator"]
    capsys.readouterr()
    out = str(tmp_path / "runs")
    assert celeba_dcgan.main([*TINY, "--steps", "2", "--init-from", presets["without_d"], "--out", out]) == 0
    _assert_same(seen["generator"], from_preset(presets["without_d"]).get_weights())
    _assert_same(seen["discriminator"], fresh)  # as a run without --init-from builds it
    assert "a fresh discriminator (the preset carries none" in capsys.readouterr().out
    assert json.load(open(os.path.join(_run_dir(out), "init_from.json")))["discriminator"] == "fresh"


@pytest.mark.parametrize("flags,expected", [
    (["--image-size", "16"], "image_size 8 in the preset but 16 in this run (--image-size)"),
    (["--latent-dim", "4", "--train-on", "train"], "latent_dim 8 in the preset but 4 in this run (--latent-dim)"),
], ids=["size", "latent"])
def test_an_architecture_other_than_the_presets_exits_2_and_leaves_no_run(presets, tmp_path, capsys, flags,
                                                                           expected):
    out = tmp_path / "runs"
    assert celeba_dcgan.main([*TINY, *flags, "--steps", "2", "--init-from", presets["with_d"],
                              "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err
    assert not out.exists() or not os.listdir(out)


def test_a_discriminator_of_another_class_is_refused(presets, tmp_path, capsys):
    out = tmp_path / "runs"
    assert celeba_wgan_gp.main([*TINY, "--steps", "1", "--init-from", presets["with_d"], "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "the preset's discriminator is a DCGANDiscriminator but this recipe trains a LayerNormCritic" in err
    assert not out.exists() or not os.listdir(out)


def test_init_from_with_resume_is_refused_before_tensorflow(presets, tmp_path):
    out = str(tmp_path / "runs")
    code, err, imported_tf = run(["recipes.celeba_dcgan", *TINY, "--resume", "--init-from", presets["with_d"],
                                  "--out", out], tmp_path)
    assert_one_sentence(code, err, "--init-from with --resume: a resumed run continues from its own checkpoint")
    assert not imported_tf and not os.path.exists(out)


def test_a_resumed_run_from_a_preset_ends_as_an_uninterrupted_one_without_the_preset(presets, tmp_path):
    from zoo.registry import from_preset

    preset = str(tmp_path / "preset")
    shutil.copytree(presets["with_d"], preset)
    args = [*TINY, "--ema-kimg", "0.004", "--init-from", preset, "--steps", "4"]
    straight, resumed = str(tmp_path / "a"), str(tmp_path / "b")
    assert celeba_dcgan.main([*args, "--checkpoint-every", "2", "--keep-checkpoints", "0", "--out", straight]) == 0
    run_a = _run_dir(straight)
    run_b = os.path.join(resumed, os.path.basename(run_a))  # the same run stopped at step 2
    shutil.copytree(run_a, run_b)
    shutil.rmtree(os.path.join(run_b, "checkpoints", "ckpt-00000004"))
    start = from_preset(preset).get_weights()
    shutil.rmtree(preset)  # a resume restores the run's checkpoint: the preset is not read again
    assert celeba_dcgan.main(["--resume", run_b]) == 0
    a, b = (np.load(os.path.join(r, "checkpoints", "ckpt-00000004", "variables.npz")) for r in (run_a, run_b))
    assert sorted(a.files) == sorted(b.files)
    for key in a.files:
        np.testing.assert_allclose(a[key], b[key], rtol=1e-5, atol=1e-6, err_msg=key)
    from zoo.runs import load_run

    _, cfg, trainer = load_run(run_b)
    assert cfg.init_from == preset and trainer.completed_steps() == 4
    assert any(np.abs(w - s).max() > 1e-5 for w, s in zip(trainer.generator.get_weights(), start))  # trained on
