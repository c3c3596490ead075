"""Running an autoencoder-style trainer (VAE, VAE-GAN) through the one training loop, with its extra outputs:
sample grids from fixed z, reconstruction grids of fixed inputs (inputs above, reconstructions below)."""

from __future__ import annotations

import os

import numpy as np

from zoo.data import make_dataset
from zoo.training.loop import train
from zoo.training.setup import steps_for
from zoo.training.vae_callbacks import ReconstructionGrid


def fixed_inputs(source, image_size: int, channels: int, count: int, crop=None) -> np.ndarray:
    """The first ``count`` images of ``source`` (unshuffled), [count, S, S, C] in [-1, 1]."""
    ds = make_dataset(source, image_size, count, channels=channels, crop=crop, shuffle=False, cache=False,
                      repeat=False, drop_remainder=False)
    return np.asarray(next(iter(ds)))


def train_autoencoder(trainer, source, cfg, run_dir: str, resume: bool, dataset_fn, *, channels: int,
                      crop=None, num_reconstructions: int = 8):
    """Train ``trainer`` (with ``reconstruct(images)`` and a ``decoder``) for ``cfg.epochs`` / ``cfg.steps``;
    writes samples/ (decoder of fixed z) and reconstructions/ per epoch. Returns (trainer, state)."""
    per_epoch, total = steps_for(len(source), cfg.batch_size, cfg.epochs, cfg.steps)
    fixed_z = np.random.default_rng(cfg.seed).standard_normal((cfg.num_samples, cfg.latent_dim)).astype("float32")
    inputs = fixed_inputs(source, cfg.image_size, channels, min(num_reconstructions, len(source)), crop)
    recon = ReconstructionGrid(os.path.join(run_dir, "reconstructions"), inputs,
                               lambda x: trainer.reconstruct(x), trainer.completed_steps)
    state = train(trainer, dataset_fn, run_dir, steps_per_epoch=per_epoch, total_steps=total, resume=resume,
                  checkpoint_every=cfg.checkpoint_every, keep_checkpoints=cfg.keep_checkpoints, log_every=cfg.log_every,
                  render_samples=lambda: trainer.decoder(fixed_z, training=False), extra_callbacks=(recon,),
                  time_budget_s=60.0 * cfg.time_budget, batch_size=cfg.batch_size)
    return trainer, state
