"""bench.gan_ablation: checkpoints chosen on validation, reported on test in each space with the floor, the table
rendered from the JSON it writes, and arms of unequal compute refused."""

import json
import os

import pytest

from bench import gan_ablation
from recipes import celeba_dcgan

TINY = ["--data", "synthetic", "--image-size", "16", "--batch-size", "4", "--num-synthetic", "24", "--base-filters",
        "4", "--latent-dim", "8", "--num-samples", "4", "--ema-kimg", "0.01", "--checkpoint-every", "2",
        "--keep-checkpoints", "0", "--epochs", "10"]


def _run(tmp_path, name, steps, *extra):
    out = str(tmp_path / name)
    assert celeba_dcgan.main([*TINY, "--steps", str(steps), *extra, "--out", out]) == 0
    return os.path.join(out, os.listdir(out)[0])


def test_checkpoints_keep_every_kth_and_always_the_last(tmp_path):
    run = tmp_path / "run"
    for step in (2, 4, 6, 8, 10):
        (run / "checkpoints" / f"ckpt-{step:08d}").mkdir(parents=True)
    steps = [int(p.rsplit("-", 1)[1]) for p in gan_ablation.checkpoints(str(run), 2)]
    assert steps == [4, 8, 10]
    assert [int(p.rsplit("-", 1)[1]) for p in gan_ablation.checkpoints(str(run))] == [2, 4, 6, 8, 10]
    (run / "checkpoints" / "ckpt-00000011").mkdir()  # the end of an epoch, off the --checkpoint-every grid
    assert [int(p.rsplit("-", 1)[1]) for p in gan_ablation.checkpoints(str(run), 1, 4)] == [4, 8, 11]
    assert [int(p.rsplit("-", 1)[1]) for p in gan_ablation.checkpoints(str(run), 1, 5)] == [10, 11]


def test_an_arms_steps_are_its_last_checkpoints_not_its_last_logged_row(tmp_path):
    """A run stopped by a signal checkpoints the step it reached, which the metrics log (every 10 steps) may not
    have a row for: the WGAN-GP preset's run stopped at 3,102 and the table said 3,100."""
    run = _run(tmp_path, "a", 3, "--log-every", "2")
    path = os.path.join(run, "logs", "metrics.csv")
    with open(path) as f:
        lines = f.readlines()
    with open(path, "w") as f:  # as after a SIGTERM that came between the row of step 2 and the checkpoint of 3
        f.writelines(line for line in lines if not line.startswith("3,"))
    facts = gan_ablation.run_facts(run)
    assert facts["steps"] == 3 and facts["images"] == 3 * 4
    assert facts["train_seconds"] > 0


@pytest.fixture(scope="module")
def two_arms(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("arms")
    return _run(tmp, "a", 4), _run(tmp, "b", 4, "--augment", "diffaugment")


def test_the_ablation_chooses_on_validation_reports_on_test_with_the_floor_and_renders(tmp_path, capsys, two_arms):
    from docs.ablation import load, render

    none, diff = two_arms
    docs = str(tmp_path / "docs")
    argv = ["--real", "synthetic", "--name", "tiny", "--arm", f"none={none}", "--arm", f"diffaugment={diff}",
            "--spaces", "classifier_gender_utkface_48", "--n", "12", "--choose-n", "12", "--resolution", "16",
            "--out", docs]
    assert gan_ablation.main(argv) == 0
    result = load(docs, "tiny")
    assert os.path.isfile(os.path.join(docs, "images", "gan_ablation_tiny.png"))
    assert result["choose"]["split"] == "validation" and "--split validation" in result["choose"]["command"]
    test = result["test"]["classifier_gender_utkface_48"]
    assert "--split test" in test["command"] and set(test["rows"]) == {
        "none/trained", "none/ema", "diffaugment/trained", "diffaugment/ema"}
    for arm in ("none", "diffaugment"):
        for w in ("trained", "ema"):
            entry = result["choose"]["arms"][arm][w]
            assert [p["step"] for p in entry["curve"]] == [2, 4]  # both checkpoints measured
            assert entry["validation_fd"] == min(p["fd"] for p in entry["curve"])
    # the trained and EMA generators of one run are different networks, so their distances differ
    assert test["rows"]["none/trained"]["fd"] != test["rows"]["none/ema"]["fd"]
    assert test["floor"]["fd"] < min(r["fd"] for r in test["rows"].values())
    assert result["arms"]["diffaugment"]["augment"] == "diffaugment" and result["arms"]["none"]["steps"] == 4
    table = render(result)
    assert table.count("\n| ") == 4 + 1 and "real faces (the floor)" in table and "DiffAugment" in table
    assert table in capsys.readouterr().out


def test_folders_choose_and_report_all_of_themselves_with_another_floor_and_a_start_column(tmp_path, two_arms):
    """A fine-tune-vs-scratch comparison: chosen on one folder, reported on another, floor against a third."""
    from docs.ablation import load, render
    from zoo.data.synthetic import write_celeba

    sets = {k: write_celeba(str(tmp_path / k), n, seed=i) for i, (k, n) in enumerate(
        (("validation", 10), ("test", 9), ("floor", 8)))}
    folders = {k: os.path.join(v, "img_align_celeba") for k, v in sets.items()}
    none, diff = two_arms
    docs = str(tmp_path / "docs")
    assert gan_ablation.main(["--validation-real", folders["validation"], "--test-real", folders["test"],
                              "--floor-real", folders["floor"], "--name", "ft", "--arm", f"scratch={none}",
                              "--arm", f"preset={diff}", "--spaces", "classifier_gender_utkface_48", "--n", "12",
                              "--choose-n", "12", "--resolution", "16", "--out", docs]) == 0
    result = load(docs, "ft")
    test = result["test"]["classifier_gender_utkface_48"]
    assert result["choose"]["real"] == folders["validation"] and "--split all" in result["choose"]["command"]
    assert test["real"] == folders["test"] and test["floor_set"] == folders["floor"]
    assert f"--real {folders['test']} " in test["command"] and test["command"].count(folders["floor"]) == 1
    # the floor is a different set of real faces, so not 0
    assert test["floor"]["fd"] > 1e-6
    result["arms"]["preset"]["init_from"] = "runs/finetune/source_dcgan64"
    table = render(result)
    assert "| `source_dcgan64` | DiffAugment" in table and "| scratch | none |" in table
    assert f"faces of `{folders['test']}`, the floor against `{folders['floor']}`" in table


@pytest.mark.parametrize("argv", [["--validation-real", "x"], ["--real", "synthetic", "--test-real", "y",
                                                                "--validation-real", "x"], []])
def test_the_real_sets_must_be_one_dataset_or_two_folders(tmp_path, capsys, argv, two_arms):
    assert gan_ablation.main([*argv, "--name", "x", "--arm", f"a={two_arms[0]}"]) == 2
    assert "give --real, or both --validation-real and --test-real" in capsys.readouterr().err


def test_arms_of_unequal_compute_are_refused(tmp_path, capsys):
    a, b = _run(tmp_path, "a", 2), _run(tmp_path, "b", 4)
    assert gan_ablation.main(["--real", "synthetic", "--name", "x", "--arm", f"a={a}", "--arm", f"b={b}",
                              "--out", str(tmp_path / "docs")]) == 2
    assert "equal compute needs equal steps" in capsys.readouterr().err


def test_a_malformed_arm_is_refused(tmp_path, capsys):
    assert gan_ablation.main(["--real", "synthetic", "--name", "x", "--arm", "nothing"]) == 2
    assert "expected NAME=RUN_FOLDER" in capsys.readouterr().err


def test_a_real_set_that_is_neither_a_folder_nor_a_dataset_is_refused_before_measuring(tmp_path, capsys, two_arms):
    argv = ["--validation-real", str(tmp_path), "--test-real", str(tmp_path / "missing"), "--name", "x",
            "--arm", f"a={two_arms[0]}", "--out", str(tmp_path / "docs")]
    assert gan_ablation.main(argv) == 2
    assert "--test-real" in capsys.readouterr().err and not (tmp_path / "docs").exists()


def test_loss_arms_compare_at_equal_real_images_with_a_loss_column_and_a_sample_grid(tmp_path, capsys):
    """Paper 002's table: a WGAN step takes n_critic real batches, so at the same epochs it has 1/5 of the plain
    GAN's generator steps; equal steps refuses the pair, equal images compares it."""
    from docs.ablation import load, render
    from recipes import celeba_gan

    arms = {}
    for loss in ("plain", "wgan"):
        out = str(tmp_path / loss)
        assert celeba_gan.main(["--data", "synthetic", "--image-size", "16", "--batch-size", "4", "--num-synthetic",
                                "40", "--g-filters", "4", "--d-filters", "4", "--latent-dim", "8", "--num-samples",
                                "4", "--no-jit-compile", "--ema-kimg", "0.01", "--keep-checkpoints", "0",
                                "--epochs", "1", "--loss", loss, "--out", out]) == 0
        arms[loss] = os.path.join(out, os.listdir(out)[0])
    docs = str(tmp_path / "docs")
    argv = ["--real", "synthetic", "--name", "losses", "--arm", f"plain={arms['plain']}", "--arm",
            f"wgan={arms['wgan']}", "--spaces", "classifier_gender_utkface_48", "--n", "12", "--choose-n", "12",
            "--resolution", "16", "--out", docs]
    assert gan_ablation.main(argv) == 2
    assert "equal compute needs equal steps" in capsys.readouterr().err
    assert gan_ablation.main([*argv, "--equal", "images"]) == 0
    result = load(docs, "losses")
    facts = result["arms"]
    assert facts["plain"]["images"] == facts["wgan"]["images"] == 40  # one epoch of 40 faces
    assert facts["plain"]["steps"] == 5 * facts["wgan"]["steps"]
    table = render(result)
    assert "| plain (BCE) | trained |" in table and "| WGAN, clip 0.01 | EMA |" in table
    assert "augmentation" not in table and "40 real images (the same epochs) per arm" in table
    assert os.path.isfile(os.path.join(docs, "images", "gan_ablation_losses_samples.png"))
