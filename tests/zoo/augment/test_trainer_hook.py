"""The trainers' one augmentation hook: every batch the discriminator sees goes through ``augment`` (reals and
fakes, discriminator and generator steps, every critic update), the penalties take the augmented batches, and
with no augmentation, an empty DiffAugment policy or ADA held at p = 0 a seeded step gives the weights of the step
without augmentation bit for bit."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.augment.ada import ADA
from zoo.augment.base import Augmenter
from zoo.augment.diffaugment import DiffAugment


class Blank(Augmenter):
    """Counts its calls and shows the discriminator a constant image (kept on the generator's gradient path)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.calls, self.observed = 0, 0

    def augment(self, images):
        self.calls += 1
        return images * 0.0 + 0.5

    def observe(self, real_logits):
        self.observed += 1


def _images(n=4, size=8, seed=0):
    return tf.constant(np.random.default_rng(seed).uniform(-1, 1, (n, size, size, 3)).astype("float32"))


def _gan(kind, augment, n_critic=1):
    from zoo.models.dcgan import DCGANDiscriminator, DCGANGenerator
    from zoo.models.wgan_gp import LayerNormCritic
    from zoo.trainers import GANTrainer, WGANGPTrainer

    keras.utils.set_random_seed(0)
    g = DCGANGenerator(latent_dim=8, image_size=8, base_filters=4)
    if kind == "wgan_gp":
        t = WGANGPTrainer(g, LayerNormCritic(8, 3, 4), seed=1, n_critic=n_critic, augment=augment)
    else:
        t = GANTrainer(g, DCGANDiscriminator(image_size=8, base_filters=4), seed=1, augment=augment)
    t.compile(g_optimizer=keras.optimizers.Adam(1e-3), d_optimizer=keras.optimizers.Adam(1e-3), jit_compile=False)
    t.build_all()
    return t


def _progressive(augment):
    from zoo.models.progan import ProGANDiscriminator, ProGANGenerator
    from zoo.trainers.progressive_trainer import ProgressiveTrainer
    from zoo.training.setup import make_optimizer

    keras.utils.set_random_seed(0)
    g = ProGANGenerator(8, 8, 3, fmap_base=16, fmap_max=8)
    d = ProGANDiscriminator(8, 3, fmap_base=16, fmap_max=8, mbstd_group_size=2)
    t = ProgressiveTrainer(g, d, loss="wgan_gp", ema_decay=0.5, mirror_augment=True, augment=augment)
    t.compile(g_optimizer=make_optimizer("adam", 1e-3, 0.0, 0.99), d_optimizer=make_optimizer("adam", 1e-3, 0.0, 0.99),
              jit_compile=False, run_eagerly=True)
    t.build_all()
    t.enter_level(1, 8, 4)  # the 8 px level, fading in
    return t


def _steps(t, steps=2, batch=4):
    size = 8
    logs = None
    for i in range(steps):
        real = _images(batch * getattr(t, "real_batches_per_step", 1), size, seed=i)
        logs = t.train_step(real)
    return [np.asarray(v) for v in t.generator.variables + t.discriminator.variables], logs


MAKERS = {"gan": lambda a: _gan("gan", a), "wgan_gp": lambda a: _gan("wgan_gp", a, n_critic=2),
          "progressive": _progressive}


@pytest.mark.parametrize("kind", list(MAKERS))
def test_no_augmentation_is_bit_identical_to_an_empty_policy_and_to_ada_at_p_zero(kind):
    make = MAKERS[kind]
    plain, _ = _steps(make(None))
    # target 1: r_t never exceeds it, so p stays exactly 0 (a step of 0 when r_t = 1)
    for augment in (DiffAugment("", seed=9), ADA(target=1.0, kimg=0.001, seed=9)):
        same, _ = _steps(make(augment))
        for a, b in zip(plain, same):
            np.testing.assert_array_equal(a, b)
    changed, _ = _steps(make(DiffAugment("color,translation,cutout", seed=9)))
    assert any(not np.array_equal(a, b) for a, b in zip(plain, changed))


@pytest.mark.parametrize("kind, calls_per_step, observed_per_step", [
    ("gan", 3, 1),  # reals and fakes in the discriminator step, fakes in the generator step
    ("wgan_gp", 5, 2),  # two critic updates (reals, fakes each), then the generator step
    ("progressive", 3, 1),
])
def test_every_batch_the_discriminator_sees_goes_through_augment(kind, calls_per_step, observed_per_step):
    blank = Blank()
    t = MAKERS[kind](blank)
    penalised = []
    if kind == "wgan_gp":  # the gradient penalty's interpolates are between the augmented batches
        penalty = t.discriminator_penalty
        t.discriminator_penalty = lambda real, fake: penalised.append((real, fake)) or penalty(real, fake)
    _, logs = _steps(t, steps=2)
    assert blank.calls == 2 * calls_per_step and blank.observed == 2 * observed_per_step
    # the discriminator saw the same constant image as real and as fake
    assert float(logs["d_real"]) == pytest.approx(float(logs["d_fake"]), abs=1e-6)
    if kind == "wgan_gp":
        assert len(penalised) == 4 and all((np.asarray(x) == 0.5).all() for pair in penalised for x in pair)


def test_ada_state_is_checkpointed_and_logged():
    ada = ADA(kimg=0.001, target=0.0, seed=2, name="augment")
    t = _gan("gan", ada)
    paths = [v.path for v in t.checkpoint_variables()["model"]]
    assert {"augment/p", "augment/r_t", "augment/sign_sum", "augment/sign_count", "augment/updates"} <= set(paths)
    _, logs = _steps(t, steps=4)
    assert {"augment_p", "r_t"} <= set(logs)
    assert float(logs["augment_p"]) == float(ada.p.numpy())


def test_the_trainer_config_round_trips_its_augmenter():
    from zoo.trainers import GANTrainer

    t = _gan("gan", DiffAugment("color,cutout", seed=4))
    again = GANTrainer.from_config(t.get_config())
    assert isinstance(again.augmenter, DiffAugment) and again.augmenter.groups == ("color", "cutout")
    assert "augment" not in _gan("gan", None).get_config()  # configs without augmentation are as before
