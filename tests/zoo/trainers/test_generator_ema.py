"""The GAN trainers' generator EMA (issue 28 item 2): StyleGAN's half-life in images, counted in the generator
update's batch of latents whatever n_critic is; sampling draws from it; none by default (no extra variable)."""

import keras
import numpy as np
import pytest

from tests.zoo.trainers._family import assert_reloads
from zoo.models.dcgan import DCGANDiscriminator, DCGANGenerator
from zoo.trainers import GANTrainer, L2GANTrainer, WGANGPTrainer, WGANTrainer


def _trainer(cls=GANTrainer, g_lr=1e-3, **kwargs):
    t = cls(DCGANGenerator(latent_dim=8, image_size=8, base_filters=4),
            DCGANDiscriminator(image_size=8, base_filters=4), seed=1, **kwargs)
    # SGD(0) leaves the generator's weights where they are: the EMA then blends towards fixed weights
    g_opt = keras.optimizers.SGD(0.0) if g_lr == 0 else keras.optimizers.Adam(g_lr)
    t.compile(g_optimizer=g_opt, d_optimizer=keras.optimizers.Adam(1e-3), jit_compile=False, run_eagerly=True)
    t.build_all()
    return t


def _reals(n, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, 8, 8, 3)).astype("float32")


@pytest.mark.parametrize("cls,n_critic", [(GANTrainer, 1), (WGANGPTrainer, 2)], ids=["gan", "wgan_gp_2_critic"])
def test_after_h_images_the_ema_is_exactly_half_way(cls, n_critic):
    """EMA weights hand-set to 0, the generator's held fixed (learning rate 0), batches of 2 latents, half-life 8:
    after 2 steps (4 images) the EMA holds 1 - 0.5 ** 0.5 of the weights, after 4 steps (8 images) exactly half.
    With 2 critic updates a step takes 4 real images, but the generator update 2 latents: those count."""
    kwargs = {"n_critic": n_critic} if cls is WGANGPTrainer else {}
    t = _trainer(cls, g_lr=0, ema_half_life_images=8.0, **kwargs)
    weights = [np.array(v) for v in t.generator.trainable_variables]
    for e in t.ema_weights:
        e.assign(np.zeros(e.shape, "float32"))
    for step in range(4):
        t.train_step(_reals(2 * n_critic, seed=step))
        if step == 1:
            for e, w in zip(t.ema_weights, weights):
                np.testing.assert_allclose(np.array(e), (1 - 0.5 ** 0.5) * w, rtol=1e-6, atol=1e-7)
    assert [np.array_equal(np.array(v), w) for v, w in zip(t.generator.trainable_variables, weights)] == \
        [True] * len(weights)
    for e, w in zip(t.ema_weights, weights):
        np.testing.assert_allclose(np.array(e), 0.5 * w, rtol=1e-6, atol=1e-7)


def test_sample_draws_from_the_ema_generator_not_the_trained_one():
    t = _trainer(ema_half_life_images=4.0)
    for step in range(2):
        t.train_step(_reals(2, seed=step))
    z = np.random.default_rng(1).standard_normal((3, 8)).astype("float32")
    reference = DCGANGenerator(latent_dim=8, image_size=8, base_filters=4)
    reference.build((None, 8))
    for r, e in zip(reference.trainable_variables, t.ema_weights):
        r.assign(e)
    for r, v in zip(reference.non_trainable_variables, t.generator.non_trainable_variables):
        r.assign(v)  # batch-norm statistics: the trained generator's, as stylegan2-ada copies its buffers
    np.testing.assert_allclose(np.asarray(t.sample(z)), np.asarray(reference(z, training=False)), atol=1e-6)
    assert np.abs(np.asarray(t.sample(z)) - np.asarray(t.generator(z, training=False))).max() > 1e-4


def test_without_ema_the_trainer_has_no_extra_variable_and_samples_from_its_generator():
    off, on = _trainer(ema_half_life_images=0.0), _trainer(ema_half_life_images=1000.0)
    assert not off.keeps_ema and "ema_half_life_images" not in off.get_config()
    n_ema = len(on.generator.trainable_variables)
    assert len(on.checkpoint_variables()["model"]) == len(off.checkpoint_variables()["model"]) + n_ema
    z = np.ones((2, 8), "float32")
    np.testing.assert_array_equal(np.asarray(off.sample(z)), np.asarray(off.generator(z, training=False)))


def test_ema_on_starts_from_the_same_generator_as_ema_off():
    """The EMA changes nothing of the training itself: same initial weights from the same seed (an ablation "+ EMA"
    compares like with like) and the EMA starts at them."""
    keras.utils.set_random_seed(4)
    off = _trainer()
    keras.utils.set_random_seed(4)
    on = _trainer(ema_half_life_images=1000.0)
    for a, b, e in zip(off.generator.trainable_variables, on.generator.trainable_variables, on.ema_weights):
        np.testing.assert_array_equal(np.array(a), np.array(b))
        np.testing.assert_array_equal(np.array(e), np.array(b))


@pytest.mark.parametrize("cls,kwargs", [(L2GANTrainer, {}), (WGANTrainer, {"n_critic": 1}),
                                        (WGANGPTrainer, {"n_critic": 1})], ids=["l2", "wgan", "wgan_gp"])
def test_every_variant_keeps_its_ema_through_a_keras_file(cls, kwargs, tmp_path):
    t = _trainer(cls, ema_half_life_images=4.0, **kwargs)
    t.train_step(_reals(2))
    assert t.get_config()["ema_half_life_images"] == 4.0
    z = np.random.default_rng(2).standard_normal((2, 8)).astype("float32")
    assert_reloads(t, tmp_path, lambda m: m.sample(z))


def test_a_negative_half_life_is_refused():
    with pytest.raises(ValueError, match="ema_half_life_images must be >= 0"):
        _trainer(ema_half_life_images=-1.0)
