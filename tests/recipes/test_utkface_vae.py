from recipes import utkface_vae
from tests.recipes._family import dry_run


def test_dry_run_shows_the_study_defaults(capsys):
    cfg, out = dry_run(utkface_vae.main, ["--latent-dim", "256", "--beta", "0.01"], capsys)
    assert (cfg["image_size"], cfg["channels"], cfg["epochs"], cfg["latent_dim"], cfg["beta"]) == (48, 1, 200, 256,
                                                                                                  0.01)
    _, out = dry_run(utkface_vae.main, ["--grid"], capsys)
    assert "M(4, 1), M(4, 0.01), M(256, 1), M(256, 0.01)" in out
