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
