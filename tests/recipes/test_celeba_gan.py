import pytest

from recipes import celeba_gan
from tests.recipes._family import TINY, assert_run_written, dry_run, only_run


def test_l2_gan_two_steps_write_the_run(tmp_path):
    out = str(tmp_path / "r")
    assert celeba_gan.main([*TINY, "--loss", "l2", "--g-filters", "4", "--d-filters", "4", "--latent-dim", "8",
                            "--out", out]) == 0
    fields = assert_run_written(only_run(out, "celeba_gan"))
    assert {"d_loss", "g_loss", "l2"} <= set(fields)  # one loss panel each


def test_dry_run_shows_each_loss_paper_defaults(capsys):
    cfg, out = dry_run(celeba_gan.main, ["--loss", "wgan"], capsys)
    assert (cfg["latent_dim"], cfg["image_size"], cfg["learning_rate"], cfg["clip_value"]) == (200, 96, 1e-4, 0.01)
    assert "RMSprop(learning_rate=0.0001)" in out and "n_critic: 5" in out and "crop: cut20" in out
    cfg, out = dry_run(celeba_gan.main, ["--loss", "plain"], capsys)
    assert "Adam(learning_rate=0.0001, beta_1=0.5, beta_2=0.99)" in out and cfg["epochs"] == 50
    _, out = dry_run(celeba_gan.main, ["--loss", "l2"], capsys)
    assert "0.02 * sum(W^2)" in out
    _, out = dry_run(celeba_gan.main, ["--loss", "wgan_gp"], capsys)
    assert "beta_1=0, beta_2=0.9" in out and "lambda = 10" in out


@pytest.mark.slow
def test_plain_gan_separates_real_from_fake_on_synthetic_faces(tmp_path):
    # With the batch norm on the score seeing real and fake batches apart, d_real == d_fake (0.506 / 0.506 in
    # issue 14). A working discriminator tells them apart within a few hundred steps.
    import csv

    out = str(tmp_path / "r")
    argv = ["--data", "synthetic", "--image-size", "16", "--batch-size", "8", "--steps", "150", "--num-synthetic",
            "64", "--num-samples", "4", "--g-filters", "4", "--d-filters", "4", "--latent-dim", "8",
            "--loss", "plain", "--log-every", "10", "--checkpoint-every", "1000", "--out", out]
    assert celeba_gan.main(argv) == 0
    rows = list(csv.DictReader(open(f"{only_run(out, 'celeba_gan')}/logs/metrics.csv")))
    last = rows[-3:]  # the mean of the last logged rows, less noisy than one
    gap = sum(float(r["d_real"]) - float(r["d_fake"]) for r in last) / len(last)
    assert gap > 0.05, [(r["d_real"], r["d_fake"]) for r in last]


def test_wgan_warmup_runs_its_100_critic_steps_through_the_recipe(tmp_path):
    import json

    out = str(tmp_path / "r")
    assert celeba_gan.main([*TINY, "--loss", "wgan", "--wgan-warmup", "--g-filters", "4", "--d-filters", "4",
                            "--latent-dim", "8", "--out", out]) == 0
    run = only_run(out, "celeba_gan")
    assert json.load(open(f"{run}/status.json"))["step"] == 2


def test_dry_run_describes_the_wgan_warmup(capsys):
    cfg, out = dry_run(celeba_gan.main, ["--loss", "wgan", "--wgan-warmup"], capsys)
    assert cfg["wgan_warmup"] is True and "n_critic: 5 (100 at the first 25 and every 500th generator step)" in out
