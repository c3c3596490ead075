import dataclasses
import json
import os

import pytest

from recipes import celeba_vae_gan
from tests.recipes._family import TINY, assert_run_written, dry_run, only_run
from zoo.registry import PRESET_DIR


def test_two_steps_write_the_run(tmp_path):
    out = str(tmp_path / "r")
    assert celeba_vae_gan.main([*TINY, "--base-filters", "4", "--d-filters", "4", "--d-dense-units", "8",
                                "--latent-dim", "8", "--gamma", "1.5", "--out", out]) == 0
    fields = assert_run_written(only_run(out, "celeba_vae_gan"), reconstructions=True)
    assert {"kl", "similarity", "g_loss", "d_loss"} <= set(fields)


def test_dry_run_shows_the_report_defaults(capsys):
    cfg, out = dry_run(celeba_vae_gan.main, [], capsys)
    assert (cfg["latent_dim"], cfg["gamma"], cfg["image_size"]) == (128, 15.0, 64)
    assert "15 * similarity + GAN" in out


def test_the_reference_codes_gan_set_up_is_three_flags(capsys):
    cfg, out = dry_run(celeba_vae_gan.main, ["--no-discriminate-reconstructions", "--real-weight", "0.5",
                                             "--saturating-decoder-loss"], capsys)
    assert (cfg["discriminate_reconstructions"], cfg["real_weight"], cfg["saturating_decoder_loss"]) == (
        False, 0.5, True)
    assert "GAN (log(1 - D) over x_p only)" in out
    assert "0.5 * -log D(x) + 0.5 * mean of -log(1 - D) over x_p only" in out
    cfg, out = dry_run(celeba_vae_gan.main, [], capsys)
    assert (cfg["discriminate_reconstructions"], cfg["real_weight"], cfg["saturating_decoder_loss"]) == (
        True, None, False)
    assert "-log D(x) + sum of -log(1 - D) over x~ and x_p" in out


def test_a_real_weight_outside_0_1_is_refused_before_training():
    with pytest.raises(ValueError, match="--real-weight 1.5: must be in"):
        celeba_vae_gan.Config(real_weight=1.5).validate()


def test_the_shipped_presets_setup_note_matches_its_stored_config():
    # The note names the flags the preset was trained with; its config (from before the three GAN switches existed)
    # reads back with their defaults, which is what the note claims. A retrained preset must update both.
    meta = json.load(open(os.path.join(PRESET_DIR, "vae_gan_utkface_64", "metadata.json")))
    fields = {f.name for f in dataclasses.fields(celeba_vae_gan.Config)}
    cfg = dataclasses.replace(celeba_vae_gan.Config(), **{k: v for k, v in meta["config"].items() if k in fields})
    assert (cfg.gamma, cfg.discriminate_reconstructions, cfg.real_weight, cfg.saturating_decoder_loss) == (
        1e-6, True, None, False)
    setup = meta["setup"]
    assert setup["flags"].startswith("--gamma 0.000001 with --discriminate-reconstructions, no --real-weight and no "
                                     "--saturating-decoder-loss")
    assert len(setup["differs_from_reference"]) >= 3 and "autoencoding_beyond_pixels" in setup["reference"]
