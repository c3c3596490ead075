"""Every GAN recipe has --augment, --diffaugment-policy, --ada-target and --ada-kimg with the references' defaults
(augmentation off), and refuses a bad value in one sentence before TensorFlow starts."""

import json

import pytest

from tests.zoo.test_bad_input import DCGAN, STYLEGAN, assert_one_sentence, run

GAN_RECIPES = ["celeba_dcgan", "celeba_gan", "celeba_wgan_gp", "ffhq_progan", "ffhq_stylegan"]


@pytest.mark.parametrize("name", GAN_RECIPES)
def test_the_flags_and_their_defaults(name, capsys):
    import importlib

    recipe = importlib.import_module(f"recipes.{name}")
    assert recipe.main(["--dry-run"]) == 0
    out = capsys.readouterr().out
    cfg = json.loads(out[: out.rindex("}") + 1])
    assert (cfg["augment"], cfg["diffaugment_policy"], cfg["ada_target"], cfg["ada_kimg"]) == \
        ("none", "color,translation,cutout", 0.6, 500.0)
    assert "augment: none" in out
    assert recipe.main(["--dry-run", "--augment", "diffaugment", "--diffaugment-policy", "color"]) == 0
    assert "augment: DiffAugment, policy color" in capsys.readouterr().out


CASES = [
    (DCGAN + ["--augment", "diffaugment", "--diffaugment-policy", "color,flip"], "unknown group 'flip'"),
    (["recipes.celeba_wgan_gp", "--data", "synthetic", "--diffaugment-policy", "cutout,zoom"], "unknown group 'zoom'"),
    (["recipes.celeba_gan", "--data", "synthetic", "--ada-target", "1.5"],
     "--ada-target 1.5: must be at least -1 and at most 1"),
    (STYLEGAN + ["--ada-kimg", "0"], "--ada-kimg 0.0: must be above 0"),
    (["recipes.ffhq_progan", "--data", "synthetic", "--augment", "strong"], "invalid choice: 'strong'"),
]


@pytest.mark.parametrize("args,expected", CASES, ids=[" ".join(c[0][-2:]) for c in CASES])
def test_a_bad_augmentation_flag_is_refused_before_tensorflow(args, expected, tmp_path):
    code, err, imported_tf = run([*args, "--out", str(tmp_path / "runs")], tmp_path)
    assert_one_sentence(code, err, expected)
    assert not imported_tf


def test_resume_refuses_another_augment_before_writing_anything(tmp_path):
    """The run's checkpoints hold the augmenter's variables: another --augment could not load them, and config.json
    would have recorded it (a later plain --resume then failed too). Refused in one sentence, the config left as it
    was; an unchanged --augment is accepted."""
    run_dir = tmp_path / "runs" / "00000-celeba_dcgan"
    run_dir.mkdir(parents=True)
    config = {"data": "synthetic", "num_synthetic": 16, "image_size": 8, "batch_size": 4, "augment": "ada"}
    (run_dir / "config.json").write_text(json.dumps(config))
    code, err, imported_tf = run(["recipes.celeba_dcgan", "--resume", str(run_dir), "--augment", "none"], tmp_path)
    assert_one_sentence(code, err, "--augment none with --resume: the run's checkpoints hold the state of --augment ada")
    assert not imported_tf and json.loads((run_dir / "config.json").read_text()) == config
    from recipes.celeba_dcgan import Config
    from zoo.training.recipe import _resume_conflict

    assert _resume_conflict(config, Config(augment="ada"), {"augment"}) is None
