"""Projection that keeps the person (issue 26, item 6) on tiny models: the tf.function projector is the eager one, an
encoder start is where the projection starts, an inversion encoder learns its generator's z, pivotal tuning fits
the photo on a copy and leaves the generator alone, and the CLI wires them (pair-checked like the VAEs' encoders)."""

import json
import os

import numpy as np

from zoo.latent.inversion import inversion_quality, pivotal_tune, train_inverter
from zoo.latent.models import Generator
from zoo.latent.project import project, projection_loss


def _tiny_generator(seed=0):
    """A 16 px decoder, latent 8, at its random initialisation: its images vary with z (a fresh DCGAN's barely do,
    std ~3e-4, so nothing could be recovered from them)."""
    import keras

    from zoo.models.vae import DFCVAEDecoder

    keras.utils.set_random_seed(seed)
    g = DFCVAEDecoder(8, 16, 3, 8)
    g.build((None, 8))
    return Generator(g)


def test_the_tf_function_projector_gives_the_eager_result():
    gen = _tiny_generator()
    target = gen(gen.sample_latents(1, seed=5))
    kw = dict(steps=40, initial_lr=0.1, num_stat_samples=200, record_every=10, progress=False)
    fast, eager = project(gen, target, **kw), project(gen, target, eager=True, **kw)
    assert np.allclose(fast.losses, eager.losses, rtol=1e-4, atol=1e-6)
    assert np.allclose(fast.latent, eager.latent, atol=1e-4) and np.allclose(fast.trajectory, eager.trajectory,
                                                                              atol=1e-4)
    assert fast.losses[-1] < fast.losses[0] / 2  # it did move


def test_an_encoder_start_is_where_the_projection_starts():
    gen = _tiny_generator()
    z_true = gen.sample_latents(1, seed=5)
    init = z_true + 0.1 * gen.sample_latents(1, seed=6)
    res = project(gen, gen(z_true), steps=20, num_stat_samples=200, record_every=5, progress=False, init=init)
    assert np.allclose(res.trajectory[0], init[0])  # step 0's learning rate is 0: the recorded start
    mean = project(gen, gen(z_true), steps=20, num_stat_samples=200, record_every=5, progress=False)
    assert not np.allclose(mean.trajectory[0], init[0])
    # from near the answer, 20 steps end much closer than 20 steps from the mean
    assert projection_loss(gen, res.latent, gen(z_true)) < projection_loss(gen, mean.latent, gen(z_true)) / 2


def test_the_inverter_lowers_its_loss_and_recovers_z_better_than_the_mean_latent():
    gen = _tiny_generator()
    encoder, history = train_inverter(gen, steps=200, batch_size=16, lr=2e-3, base_filters=8, seed=0, progress=False)
    assert len(history["latent"]) == 200
    assert np.mean(history["total"][-20:]) < 0.7 * np.mean(history["total"][:20])
    q = inversion_quality(encoder, gen, count=64)
    assert q["encoder"]["latent_mse"] < 0.8 * q["mean_latent"]["latent_mse"], q
    assert q["encoder"]["pixel_mse"] < q["mean_latent"]["pixel_mse"], q


def test_pivotal_tuning_fits_the_target_on_a_copy_and_leaves_the_generator_alone():
    gen = _tiny_generator()
    before = [w.copy() for w in gen.model.get_weights()]
    pivot = gen.sample_latents(1, seed=1)
    target = gen(gen.sample_latents(1, seed=2))  # another face than the pivot draws
    tuned, report = pivotal_tune(gen, pivot, target, steps=30, lr=3e-3, progress=False)
    err = lambda g: float(np.mean((g(pivot) - target) ** 2))  # noqa: E731
    assert err(tuned) < 0.5 * err(gen), (err(tuned), err(gen))
    assert report["pixel_mse_last"] < report["pixel_mse_first"]
    assert all(np.array_equal(a, b) for a, b in zip(before, gen.model.get_weights()))
    assert tuned.model is not gen.model


def test_the_cli_trains_an_inverter_that_project_starts_from_and_tunes_with(tiny, tmp_path, photo):
    from zoo.latent.__main__ import main

    inv = tmp_path / "inv"
    assert main(["train-inverter", "--model", tiny["gen"], "--steps", "3", "--batch-size", "4", "--base-filters", "4",
                 "--out", str(inv)]) == 0
    meta = json.load(open(inv / "metadata.json"))
    assert meta["decoder_weights_sha256"] == json.load(open(os.path.join(tiny["gen"], "metadata.json")))[
        "weights_sha256"] and "train-inverter" in meta["training_command"]
    out = tmp_path / "p"
    assert main(["project", "--model", tiny["gen"], "--encoder", str(inv), "--pivotal-steps", "2", "--steps", "3",
                 "--image", photo, "--no-align", "--out", str(out)]) == 0
    r = json.load(open(out / "project.json"))
    assert r["start"] == f"encoder {inv}" and r["pivotal_tuning"]["steps"] == 2
    assert r["edited_with"] == "the pivotally tuned copy" and os.path.isfile(out / "photo_path.png")
    assert np.allclose(np.load(out / "projection.npz")["trajectory"][0], _encoded(str(inv), photo))
    # the inverter belongs to its generator: with another decoder it is refused (exit 2), as a VAE's encoder is
    assert main(["project", "--model", tiny["dec"], "--encoder", str(inv), "--steps", "1", "--image", photo,
                 "--no-align", "--out", str(tmp_path / "q")]) == 2


def _encoded(encoder, photo):
    from zoo.latent.data import load_photo
    from zoo.latent.models import encode

    return encode(encoder, load_photo(photo, 16, 3, align=False))[0]


def test_no_pivotal_tuning_by_default_edits_with_the_generator(tiny, tmp_path, photo):
    from zoo.latent.__main__ import main

    assert main(["project", "--model", tiny["gen"], "--steps", "2", "--image", photo, "--no-align",
                 "--out", str(tmp_path)]) == 0
    r = json.load(open(tmp_path / "project.json"))
    assert r["start"] == "mean latent" and "pivotal_tuning" not in r and r["edited_with"] == "the generator"
