import pytest

from recipes import celeba_vae_gan
from tests.recipes._family import TINY, assert_run_written, dry_run, only_run


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
