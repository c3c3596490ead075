"""Restoration through a tiny trained VAE and projection into a tiny generator: the properties that make them
worth running (a restored image is closer to the original than the damaged one; projection finds the latent)."""

import numpy as np
import pytest

from zoo.latent import restore
from zoo.latent.models import Generator
from zoo.latent.project import PerceptualDistance, project, projection_loss
from zoo.metrics.reconstruction import psnr


def test_damage_and_filters_have_the_intended_effect():
    x = np.zeros((2, 16, 16, 3), np.float32)
    noisy = restore.add_noise(x, std=0.2, seed=0)
    assert abs(noisy.std() - 0.2) < 0.02 and noisy.max() <= 1
    assert restore.mean_filter(noisy).std() < noisy.std() / 2  # a 3x3 box filter divides the std by ~3
    erased = restore.erase_blocks(np.ones((2, 16, 16, 3), np.float32), blocks=1, size=0.25, value=0.0)
    assert ((erased == 0).sum(axis=(1, 2, 3)) == 4 * 4 * 3).all()  # one 4x4 block per image
    spike = np.zeros((1, 5, 5, 1), np.float32)
    spike[0, 2, 2] = 1
    assert restore.median_filter(spike).max() == 0  # the median removes an isolated spike


@pytest.mark.slow
def test_a_tiny_trained_vae_restores_noisy_synthetic_faces_better_than_the_damaged_input():
    import keras

    from zoo.data.synthetic import render_faces
    from zoo.models.vae import DFCVAEDecoder, DFCVAEEncoder
    from zoo.trainers import VAETrainer

    faces = render_faces(0, 288, image_size=16, seed=0).images.astype(np.float32) / 127.5 - 1
    train, test = faces[:256], faces[256:]
    t = VAETrainer(DFCVAEEncoder(16, 3, 16, 8), DFCVAEDecoder(16, 16, 3, 8), beta=0.01, seed=0)
    t.compile(encoder_optimizer=keras.optimizers.Adam(2e-3), decoder_optimizer=keras.optimizers.Adam(2e-3),
              jit_compile=False)
    t.build_all()
    t.fit(train, batch_size=16, epochs=16, verbose=0, shuffle=True)
    noisy = restore.add_noise(test, std=0.5, seed=1)
    restored = restore.vae_reconstruct(t.encoder, t.decoder, noisy)
    assert float(np.mean(psnr(test, restored))) > float(np.mean(psnr(test, noisy))) + 1.5  # ~13 dB -> ~15.5
    table, rows = restore.restoration_table(test[:8], t.encoder, t.decoder)
    assert table["noise"]["damaged"]["psnr"]["mean"] < table["noise"]["mean_filter"]["psnr"]["mean"]
    assert rows["noise/vae"].shape == test[:8].shape and "| noise | vae |" in restore.format_table(table)


def _tiny_generator():
    from zoo.models.dcgan import DCGANGenerator

    g = DCGANGenerator(8, 16, 3, 8)
    g.build((None, 8))
    return Generator(g)


def test_projection_reduces_the_loss_and_recovers_the_generators_own_latent():
    gen = _tiny_generator()
    z_true = gen.sample_latents(1, seed=5)
    target = gen(z_true)
    start = projection_loss(gen, np.zeros_like(z_true), target)
    res = project(gen, target, steps=150, initial_lr=0.1, num_stat_samples=500, record_every=50, progress=False)
    end = projection_loss(gen, res.latent, target)
    assert end < start / 10
    assert len(res.losses) == 150 and res.trajectory.shape == (4, 8) and list(res.trajectory_steps) == [0, 50, 100,
                                                                                                        149]
    cosine = float(res.latent[0] @ z_true[0] / np.linalg.norm(res.latent) / np.linalg.norm(z_true))
    assert cosine > 0.9, cosine


def test_perceptual_distance_is_zero_for_equal_images_and_grows_with_damage():
    import tensorflow as tf

    from zoo.models.face_classifier import FaceClassifier

    clf = FaceClassifier(("gender",), 16, 1, (4, 8), dense_units=8)
    clf.build((None, 16, 16, 1))
    d = PerceptualDistance(clf)
    x = tf.constant(np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 3)).astype(np.float32))
    small, big = x + 0.05, -x
    assert float(tf.reduce_max(d(x, x))) < 1e-6
    assert float(tf.reduce_mean(d(x, small))) < float(tf.reduce_mean(d(x, big)))
