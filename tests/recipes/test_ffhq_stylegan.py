import json
import os

import pytest

from recipes import ffhq_progan, ffhq_stylegan


def test_dry_run_shows_the_level_schedule_and_mapping_depth_8(capsys):
    argv = ["--data", "synthetic", "--resolutions", "4,8,16", "--images-per-level", "16", "--batch-size", "4",
            "--dry-run"]
    assert ffhq_stylegan.main(argv) == 0
    out = capsys.readouterr().out
    cfg = json.loads(out[: out.rindex("}") + 1])
    assert cfg["resolutions"] == [4, 8, 16] and cfg["mapping_layers"] == 8 and cfg["background"] == "raw"
    assert "level schedule:" in out and "mapping depth 8" in out
    assert "      2       16 px      16        8      4      4" in out  # level, res, images, fade, batch, steps
    assert ffhq_progan.main(["--dry-run"]) == 0
    assert "128 px" in capsys.readouterr().out


def test_defaults_are_the_references_and_reach_the_trainer(capsys):
    # NVlabs stylegan train.py (FFHQ) / training_loop.py / networks_stylegan.py and progressive_growing_of_gans.
    assert ffhq_stylegan.main(["--dry-run"]) == 0
    out = capsys.readouterr().out
    cfg = json.loads(out[: out.rindex("}") + 1])
    assert (cfg["loss"], cfg["r1_gamma"], cfg["blur_filter"], cfg["truncation_cutoff"]) == ("logistic_r1", 10.0,
                                                                                           [1, 2, 1], 8)
    assert (cfg["mirror_augment"], cfg["ema_kimg"], cfg["adam_epsilon"]) == (True, 10.0, 1e-8)
    assert "epsilon=1e-08" in out and "half-life 10k images" in out and "first 8 layers" in out
    assert ffhq_progan.main(["--dry-run"]) == 0
    out = capsys.readouterr().out
    cfg = json.loads(out[: out.rindex("}") + 1])
    assert (cfg["lr_sigmoid_slope"], cfg["loss"], cfg["ema_decay"], cfg["ema_kimg"]) == (0.0, "wgan_gp", 0.999, 0.0)
    assert "constant learning rate" in out and (cfg["mirror_augment"], cfg["adam_epsilon"]) == (True, 1e-8)

    tiny = dict(resolutions=(4, 8), latent_dim=8, fmap_base=16, fmap_max=8, mbstd_group_size=2, jit_compile=False)
    t = ffhq_stylegan.build(ffhq_stylegan.Config(w_dim=8, mapping_layers=1, **tiny))
    assert t.loss == "logistic_r1" and t.ema_half_life_images == 10_000 and t.mirror_augment
    assert t.generator.blur_filter == (1, 2, 1) and t.discriminator.blur_filter == (1, 2, 1)
    assert t.g_optimizer.epsilon == 1e-8 and t.d_optimizer.epsilon == 1e-8 and t.lr_sigmoid_slope == 6.0
    p = ffhq_progan.build(ffhq_progan.Config(**tiny))
    assert p.lr_sigmoid_slope == 0.0 and p.ema_half_life_images == 0 and p.discriminator.blur_filter == ()


def test_grey_background_on_a_folder_without_masks_is_a_clear_error(ffhq_dir, tmp_path, capsys):
    code = ffhq_stylegan.main(["--data", "ffhq", "--data-dir", ffhq_dir, "--background", "grey",
                               "--resolutions", "4,8", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "_rembg" in err and "rembg p" in err and "Traceback" not in err


def test_synthetic_masks_give_grey_backgrounds():
    import numpy as np

    from zoo.data import load_source
    from zoo.data.backgrounds import with_background

    src = load_source("synthetic", image_size=16, num_synthetic=4, seed=0)
    grey = with_background(src, "grey")
    mask = np.asarray(src.labels["mask"]).astype(bool)
    assert (grey.arrays[~mask] == 128).all() and (grey.arrays[mask] == src.arrays[mask]).all()
    assert "mask" not in grey.labels
    blur = with_background(src, "blur")
    assert (blur.arrays[mask] == src.arrays[mask]).all() and not (blur.arrays[~mask] == src.arrays[~mask]).all()


@pytest.mark.parametrize("bad", [["--resolutions", "8,16"], ["--resolutions", "4,12"]])
def test_bad_resolutions_are_refused(bad, capsys):
    with pytest.raises(ValueError, match="resolutions must double from 4"):
        ffhq_stylegan.describe(ffhq_stylegan.Config(resolutions=tuple(int(v) for v in bad[1].split(","))))


def test_each_level_gets_fd_and_kid_in_the_given_extractors_features(tmp_path, capsys):
    import csv
    import math

    import keras

    net = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3, activation="relu"),
                            keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(4, activation="tanh"),
                            keras.layers.Dense(2)], name="tiny_net")
    net.save(tmp_path / "tiny.keras")
    argv = ["--data", "synthetic", "--num-synthetic", "16", "--resolutions", "4,8", "--images-per-level", "8",
            "--batch-size", "4", "--fmap-base", "16", "--fmap-max", "8", "--latent-dim", "8", "--w-dim", "8",
            "--run-eagerly", "--no-jit-compile", "--eval-extractor", str(tmp_path / "tiny.keras"),
            "--eval-images", "12", "--out", str(tmp_path)]
    assert ffhq_stylegan.main(argv) == 0
    run = os.path.join(tmp_path, "00000-ffhq_stylegan")
    with open(os.path.join(run, "logs", "levels.csv")) as f:
        rows = list(csv.DictReader(f))
    assert [(r["level"], r["resolution"]) for r in rows] == [("0", "4"), ("1", "8")]
    for r in rows:
        assert math.isfinite(float(r["fd[tiny]"])) and float(r["fd[tiny]"]) >= 0
        assert math.isfinite(float(r["kid[tiny]"])) and r["extractor"] == "tiny" and r["images"] == "12"
    assert os.path.isfile(os.path.join(run, "plots", "levels.png"))
    assert os.path.isfile(os.path.join(run, "samples", "level1_8px.png"))


def test_a_missing_inception_file_stops_the_run_before_training(tmp_path, capsys):
    code = ffhq_stylegan.main(["--data", "synthetic", "--resolutions", "4,8", "--images-per-level", "8",
                               "--batch-size", "4", "--eval-extractor", "inception", "--inception-weights",
                               str(tmp_path / "missing.h5"), "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "InceptionV3 weights not available" in err and "Traceback" not in err
    from zoo.training.checkpoint import latest_checkpoint

    assert latest_checkpoint(os.path.join(tmp_path, "00000-ffhq_stylegan", "checkpoints")) is None


def test_an_ema_half_life_longer_than_a_quarter_of_a_level_is_flagged_with_the_fix(capsys):
    # ProGAN's EMA (0.999 per step) over 20k-image levels kept half its random start after a level: the samples of
    # a short UTKFace run were colour noise while its trained generator drew faces.
    assert ffhq_progan.main(["--resolutions", "4,8,16", "--images-per-level", "20000", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "WARNING: the generator EMA's half-life (88,678 images)" in out and "--ema-kimg 0.4" in out
    assert ffhq_progan.main(["--resolutions", "4,8,16", "--images-per-level", "20000", "--ema-kimg", "0.4",
                             "--dry-run"]) == 0
    assert "WARNING" not in capsys.readouterr().out
    for main in (ffhq_progan.main, ffhq_stylegan.main):  # the references' own schedules are not flagged
        assert main(["--dry-run"]) == 0
        assert "WARNING" not in capsys.readouterr().out
