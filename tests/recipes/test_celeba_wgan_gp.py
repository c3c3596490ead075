from recipes import celeba_wgan_gp
from tests.recipes._family import TINY, assert_run_written, dry_run, only_run


def test_two_steps_write_the_run(tmp_path):
    out = str(tmp_path / "r")
    assert celeba_wgan_gp.main([*TINY, "--base-filters", "4", "--latent-dim", "8", "--n-critic", "2",
                                "--out", out]) == 0
    run = only_run(out, "celeba_wgan_gp")
    assert "gp" in assert_run_written(run)
    # images seen count every critic batch (2 steps x n_critic 2 x batch 4), not the generator's batches alone
    from zoo.runs import run_model

    assert run_model(run).run_info["images_seen"] == 16


def test_dry_run_shows_the_paper_defaults(capsys):
    cfg, out = dry_run(celeba_wgan_gp.main, [], capsys)
    assert (cfg["gp_weight"], cfg["n_critic"], cfg["beta_1"], cfg["beta_2"], cfg["image_size"]) == (10, 5, 0, 0.9, 64)
    assert "Adam(learning_rate=0.0001, beta_1=0, beta_2=0.9)" in out and "layer norm" in out


def test_an_epoch_counts_real_images_seen(tmp_path):
    # n_critic 5, batch 2: each step takes 10 real images, so 40 images make an epoch of 4 steps (not 20).
    import json

    out = str(tmp_path / "r")
    argv = [a for a in TINY if a not in ("--steps", "2")] + ["--epochs", "1", "--num-synthetic", "40",
                                                              "--batch-size", "2"]
    assert celeba_wgan_gp.main([*argv, "--base-filters", "4", "--latent-dim", "8", "--out", out]) == 0
    status = json.load(open(f"{only_run(out, 'celeba_wgan_gp')}/status.json"))
    assert (status["steps_per_epoch"], status["step"]) == (4, 4), status
