"""bench.critic_signal: the clipped critic's signal at Keras' and torch's batch-norm epsilon (paper 002's WGAN)."""

import os

import pytest

from bench import critic_signal


@pytest.fixture(scope="module")
def wgan_run(tmp_path_factory):
    from recipes import celeba_gan

    out = str(tmp_path_factory.mktemp("wgan"))
    assert celeba_gan.main(["--data", "synthetic", "--image-size", "16", "--batch-size", "4", "--num-synthetic", "20",
                            "--g-filters", "4", "--d-filters", "4", "--latent-dim", "8", "--num-samples", "4",
                            "--no-jit-compile", "--epochs", "1", "--loss", "wgan", "--out", out]) == 0
    return os.path.join(out, os.listdir(out)[0])


def test_the_clipped_critic_passes_a_thousand_times_more_signal_at_torchs_epsilon(wgan_run, capsys):
    from zoo.runs import load_run

    _, cfg, trainer = load_run(wgan_run)
    keras_eps, torch_eps = (critic_signal.critic_signal(trainer, cfg.latent_dim, 16, 0, e) for e in (1e-3, 1e-5))
    assert torch_eps["score_std"] > 1000 * keras_eps["score_std"], (keras_eps, torch_eps)
    assert torch_eps["grad_median"] > 1000 * keras_eps["grad_median"], (keras_eps, torch_eps)
    # the run's own epsilon (Keras' default) is put back after each measurement
    assert critic_signal.critic_signal(trainer, cfg.latent_dim, 16, 0) == keras_eps
    assert critic_signal.main([wgan_run, "--batch-norm-epsilon", "1e-3,1e-5", "--n", "8"]) == 0
    table = capsys.readouterr().out
    assert table.count(wgan_run) == 2 and "| 1e-05 |" in table


def test_bad_input_is_refused_in_one_sentence(tmp_path, wgan_run, capsys):
    assert critic_signal.main([wgan_run, "--batch-norm-epsilon", "0"]) == 2
    assert "positive numbers" in capsys.readouterr().err
    assert critic_signal.main([str(tmp_path)]) == 2
    assert "config.json" in capsys.readouterr().err
