"""A resumed run is the run it resumes: N steps straight == N/2 steps, a fresh process's resume, N/2 steps.

The input order is one seeded order per run (batch s is the same however the run got to step s) and every
random stream of a trainer lives in its checkpointed SeedGenerator variables, so the weights agree to float
tolerance for a GAN, a VAE and the progressive trainer.
"""

import dataclasses

import keras
import numpy as np
import pytest

from zoo.data.source import ImageSource
from zoo.training.loop import train
from zoo.training.setup import image_dataset_fn


@dataclasses.dataclass(frozen=True)
class _Cfg:
    image_size: int = 8
    batch_size: int = 4
    seed: int = 7


def _source(n=10, size=8):
    # 10 images, batches of 4: batches straddle data epochs and a resume lands mid-epoch
    images = np.random.default_rng(0).integers(0, 256, (n, size, size, 3)).astype("uint8")
    return ImageSource(name="tiny", arrays=images, labels={}, crop="none")


def test_a_dataset_started_at_batch_s_is_the_run_order_from_batch_s():
    fn = image_dataset_fn(_source(), _Cfg())
    full = [np.asarray(b) for b in fn(0).take(9)]
    for s in (1, 3, 5, 7):
        later = [np.asarray(b) for b in fn(s).take(9 - s)]
        for a, b in zip(full[s:], later):
            np.testing.assert_array_equal(a, b)
    assert not np.array_equal(full[0], full[5])  # data epoch 2 is another shuffle, not a replay


def _dcgan():
    from zoo.models.dcgan import DCGANDiscriminator, DCGANGenerator
    from zoo.trainers import GANTrainer

    t = GANTrainer(DCGANGenerator(latent_dim=8, image_size=8, base_filters=4),
                   DCGANDiscriminator(image_size=8, base_filters=4), seed=1)
    adam = [keras.optimizers.Adam(2e-4, beta_1=0.5) for _ in range(2)]
    t.compile(g_optimizer=adam[0], d_optimizer=adam[1], jit_compile=False)
    return t


def _vae():
    from zoo.models.vae import DFCVAEDecoder, DFCVAEEncoder
    from zoo.trainers import VAETrainer

    t = VAETrainer(DFCVAEEncoder(16, 3, 8, 4), DFCVAEDecoder(8, 16, 3, 4), seed=3)
    t.compile(encoder_optimizer=keras.optimizers.Adam(1e-3), decoder_optimizer=keras.optimizers.Adam(1e-3),
              jit_compile=False)
    return t


def _fresh(make):
    keras.utils.set_random_seed(0)  # the same initial weights for both runs; a resume overwrites them anyway
    return make()


def _train(t, run_dir, total, resume):
    size = 16 if hasattr(t, "encoder") else 8  # the VAE's smallest size
    data = image_dataset_fn(_source(size=size), _Cfg(image_size=size))
    train(t, data, str(run_dir), steps_per_epoch=2, total_steps=total, resume=resume, checkpoint_every=100,
          log_every=100, verbose=0)
    return t


@pytest.mark.parametrize("make", [_dcgan, _vae], ids=["dcgan", "vae"])
def test_kill_and_resume_reaches_the_weights_of_an_uninterrupted_run(tmp_path, make):
    straight = _train(_fresh(make), tmp_path / "a", 6, False)
    _train(_fresh(make), tmp_path / "b", 3, False)  # stops mid-epoch with a checkpoint at step 3
    resumed = _train(make(), tmp_path / "b", 6, True)  # a new trainer: all state comes from the checkpoint
    assert resumed.completed_steps() == straight.completed_steps() == 6
    for a, b in zip(straight.variables, resumed.variables):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6, err_msg=a.path)


def test_progressive_kill_and_resume_reaches_the_weights_of_an_uninterrupted_run(tmp_path):
    from zoo.data import make_dataset
    from zoo.models.progan import ProGANDiscriminator, ProGANGenerator
    from zoo.trainers.progressive_trainer import ProgressiveTrainer
    from zoo.training.progressive import level_schedule, train_progressive
    from zoo.training.setup import make_optimizer

    def make():
        g = ProGANGenerator(8, 8, 3, fmap_base=16, fmap_max=8)
        d = ProGANDiscriminator(8, 3, fmap_base=16, fmap_max=8, mbstd_group_size=2)
        t = ProgressiveTrainer(g, d, loss="wgan_gp", ema_decay=0.5)
        adam = [make_optimizer("adam", 1e-3, 0.0, 0.99) for _ in range(2)]
        # eager: no retracing for each level of each run
        t.compile(g_optimizer=adam[0], d_optimizer=adam[1], jit_compile=False, run_eagerly=True)
        t.build_all()
        return t

    levels = level_schedule((4, 8), 8, 4)  # 2 steps per level
    source = _source()

    def dataset_fn(lv, start_step):
        return make_dataset(source, lv.resolution, lv.batch_size, seed=lv.index, start_batch=start_step)

    class StopAt(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if self.model.completed_steps() == 3:  # one step into the 8 px level
                raise KeyboardInterrupt

    def run(t, run_dir, resume=False, callbacks=()):
        train_progressive(t, levels, dataset_fn, str(run_dir), resume=resume, log_every=100, checkpoint_every=100,
                          extra_callbacks=callbacks, verbose=0)
        return t

    straight = run(_fresh(make), tmp_path / "a")
    with pytest.raises(KeyboardInterrupt):
        run(_fresh(make), tmp_path / "b", callbacks=[StopAt()])
    resumed = run(make(), tmp_path / "b", resume=True)
    assert resumed.completed_steps() == straight.completed_steps() == 4
    for a, b in zip(straight.variables, resumed.variables):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6, err_msg=a.path)
