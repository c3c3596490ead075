"""--background raw|grey|blur for every GAN and VAE recipe, through the shared RunOptions and load_training_source."""

import importlib
import json
import os

import numpy as np
import pytest

RECIPES = ("celeba_dcgan", "celeba_gan", "celeba_wgan_gp", "celeba_vae", "celeba_vae_gan", "utkface_vae",
           "ffhq_progan", "ffhq_stylegan")


@pytest.mark.parametrize("name", RECIPES)
def test_every_generative_recipe_takes_background_and_mask_dir(name, capsys):
    recipe = importlib.import_module(f"recipes.{name}")
    assert recipe.main(["--background", "blur", "--mask-dir", "/m", "--dry-run"]) == 0
    cfg = json.loads(capsys.readouterr().out.split("\n}\n")[0] + "}")
    assert cfg["background"] == "blur" and cfg["mask_dir"] == "/m"


def test_load_training_source_applies_the_background():
    """Synthetic faces carry their masks: grey puts 128 exactly where the mask is 0 and keeps the face."""
    from recipes.celeba_dcgan import Config
    from zoo.data import load_source
    from zoo.training.setup import load_training_source

    cfg = Config(data="synthetic", image_size=16, num_synthetic=8, batch_size=4, background="grey")
    raw = load_source("synthetic", image_size=16, num_synthetic=8, seed=0)
    grey = load_training_source(cfg)
    masks = raw.labels["mask"]
    assert grey.name == "synthetic-grey" and "mask" not in grey.labels
    np.testing.assert_array_equal(grey.arrays[masks == 0], 128)
    np.testing.assert_array_equal(grey.arrays[masks == masks.max()], raw.arrays[masks == masks.max()])
    plain = Config(data="synthetic", image_size=16, num_synthetic=8, batch_size=4)
    assert load_training_source(plain).arrays is not None


def test_dcgan_two_steps_on_grey_backgrounds(tmp_path, capsys):
    from recipes import celeba_dcgan

    out = str(tmp_path / "r")
    argv = ["--data", "synthetic", "--image-size", "16", "--batch-size", "4", "--num-synthetic", "16",
            "--base-filters", "4", "--latent-dim", "8", "--steps", "2", "--background", "grey", "--out", out]
    assert celeba_dcgan.main(argv) == 0
    assert "data: synthetic-grey, 16 images" in capsys.readouterr().out
    run = os.path.join(out, os.listdir(out)[0])
    assert json.load(open(os.path.join(run, "config.json")))["background"] == "grey"
    assert json.load(open(os.path.join(run, "status.json")))["step"] == 2


def test_grey_on_a_folder_without_masks_exits_2(utkface_dir, tmp_path, capsys):
    from recipes import celeba_vae

    code = celeba_vae.main(["--data", "utkface", "--data-dir", utkface_dir, "--background", "grey",
                            "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert f"python -m zoo.data.remove_background {utkface_dir} {utkface_dir}_rembg" in err
