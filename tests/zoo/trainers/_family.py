"""Tiny trainers of the GAN and VAE families for the trainer tests (eager steps: no tracing on 2 CPU cores)."""

import keras
import numpy as np

from zoo.models.dcgan import DCGANGenerator
from zoo.models.gan import UpsampleConvDiscriminator, UpsampleConvGenerator


def images(n=4, size=16, channels=3, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, size, size, channels)).astype("float32")


def gan_parts(norm="batch", output_norm=True, upsample=True):
    g = UpsampleConvGenerator(8, 16, 3, 4) if upsample else DCGANGenerator(8, 16, 3, 4)
    return g, UpsampleConvDiscriminator(16, 3, 4, norm=norm, output_norm=output_norm)


def compile_gan(t, lr=1e-3):
    t.compile(g_optimizer=keras.optimizers.Adam(lr), d_optimizer=keras.optimizers.Adam(lr), jit_compile=False)
    t.build_all()
    return t


def weights(model):
    return [np.array(w) for w in model.get_weights()]


def changed(before, model):
    return any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def two_steps(trainer, batch):
    logs = [trainer.train_step(batch), trainer.train_step(batch)]
    out = {k: float(v) for k, v in logs[-1].items()}
    assert all(np.isfinite(v) for v in out.values()), out
    return out


def assert_reloads(trainer, tmp_path, fn):
    """Save the trainer to a .keras file, reload it and compare fn(trainer) with fn(reloaded)."""
    ref = np.asarray(fn(trainer))
    trainer.save(tmp_path / "t.keras")
    again = keras.saving.load_model(tmp_path / "t.keras")
    np.testing.assert_array_equal(np.asarray(fn(again)), ref)
