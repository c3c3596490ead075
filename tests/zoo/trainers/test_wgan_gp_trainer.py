import numpy as np

from tests.zoo.trainers._family import assert_reloads, changed, compile_gan, images, two_steps, weights
from zoo.models.dcgan import DCGANGenerator
from zoo.models.wgan_gp import LayerNormCritic
from zoo.trainers import WGANGPTrainer


def test_two_steps_finite_penalty_logged_and_reload(tmp_path):
    g, c = DCGANGenerator(8, 16, 3, 4), LayerNormCritic(16, 3, 4)
    t = compile_gan(WGANGPTrainer(g, c, seed=2, gp_weight=10.0, n_critic=2))
    g0, c0 = weights(g), weights(c)
    logs = two_steps(t, images())
    assert logs["gp"] > 0 and changed(g0, g) and changed(c0, c)
    assert t.completed_steps() == 2 and int(t.d_optimizer.iterations) == 4
    z = np.random.default_rng(0).standard_normal((2, 8)).astype("float32")
    assert_reloads(t, tmp_path, lambda m: m.generator(z))
    assert t.get_config()["gp_weight"] == 10.0 and t.get_config()["n_critic"] == 2
