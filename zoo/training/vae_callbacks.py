"""Callbacks for VAE runs: reconstruction grids (inputs above, reconstructions below)."""

from __future__ import annotations

import os

import keras
import numpy as np

from zoo.utils.images import save_grid


def reconstruction_rows(images, reconstructions) -> np.ndarray:
    """Stack [N, H, W, C] inputs and their reconstructions as 2 rows of N: inputs first, then reconstructions."""
    images, reconstructions = np.asarray(images), np.asarray(reconstructions)
    if images.shape != reconstructions.shape:
        raise ValueError(f"inputs {images.shape} and reconstructions {reconstructions.shape} differ in shape")
    return np.concatenate([images, reconstructions], axis=0)


class ReconstructionGrid(keras.callbacks.Callback):
    """Writes ``<folder>/step_<step>.png`` and ``<folder>/latest.png``: fixed ``images`` [N, H, W, C] in [-1, 1]
    in the top row and ``reconstruct(images)`` below, at each epoch end and at the end of training.

    ``step_fn()`` gives the global step for the file name (the trainer's ``completed_steps``).
    """

    def __init__(self, folder: str, images, reconstruct, step_fn, every_epochs: int = 1):
        super().__init__()
        self.folder, self.images, self.reconstruct = folder, np.asarray(images), reconstruct
        self.step_fn, self.every_epochs = step_fn, every_epochs
        self.last_step = -1

    def write(self):
        step = int(self.step_fn())
        if step == self.last_step or getattr(self.model, "stop_training", False) and not np.isfinite(
                np.asarray(self.reconstruct(self.images[:1]))).all():
            return
        grid = reconstruction_rows(self.images, self.reconstruct(self.images))
        save_grid(os.path.join(self.folder, f"step_{step:08d}.png"), grid, cols=len(self.images))
        save_grid(os.path.join(self.folder, "latest.png"), grid, cols=len(self.images))
        self.last_step = step

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every_epochs == 0:
            self.write()

    def on_train_end(self, logs=None):
        self.write()
