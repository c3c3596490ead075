"""Under mixed_float16 the progressive trainer's penalties take their inner gradient through the discriminator's
float16 backward pass loss-scaled, as the WGAN-GP trainer's does: unscaled, gradients of 1e-2 per pixel flush to
zero on the way (an intermediate gradient of 1e-8 is below float16's smallest subnormal, 6e-8)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.models.progan import ProGANGenerator
from zoo.trainers.progressive_trainer import ProgressiveTrainer
from zoo.training.setup import make_optimizer, precision_policy

PIXELS = 8 * 8 * 3


@keras.saving.register_keras_serializable(package="facezoo_tests")
class LinearCritic(keras.Model):
    """score = 1e-8 * 1e6 * sum(x), computed in float16: d score / d x = 1e-2 for every pixel, whatever x. The
    backward pass meets 1e-8 (after the two 1e-4 factors) before it is multiplied back up by 1e6."""

    def __init__(self, num_levels=2, **kwargs):
        super().__init__(**kwargs)
        self.num_levels, self.resolution, self.channels = num_levels, 8, 3
        self.unit = self.add_weight(shape=(), initializer="ones", name="unit")  # something for the optimizer

    def call(self, images, alpha=1.0, training=False):
        x = tf.cast(images, tf.float16) * tf.cast(self.unit, tf.float16)
        for _ in range(3):
            x = x * tf.constant(100.0, tf.float16)
        s = tf.reduce_sum(tf.reshape(x, [tf.shape(x)[0], -1]), axis=1, keepdims=True)
        return s * tf.constant(1e-4, tf.float16) * tf.constant(1e-4, tf.float16)

    def get_config(self):
        return {**super().get_config(), "num_levels": self.num_levels}


def _terms(loss):
    with precision_policy("mixed_float16"):
        g = ProGANGenerator(8, 8, 3, fmap_base=16, fmap_max=8)
        t = ProgressiveTrainer(g, LinearCritic(g.num_levels), loss=loss, gp_weight=10.0, r1_gamma=10.0)
        t.compile(g_optimizer=make_optimizer("adam", 1e-3, mixed_precision=True),
                  d_optimizer=make_optimizer("adam", 1e-3, mixed_precision=True), run_eagerly=True)
        t.build_all()
        assert float(t.d_optimizer.scale_loss(tf.constant(1.0))) > 1000  # loss scaling is on
        rng = np.random.default_rng(0)
        real, fake = (tf.constant(rng.uniform(-1e-4, 1e-4, (2, 8, 8, 3)).astype("float32")) for _ in range(2))
        alpha = tf.constant(1.0)
        return t.discriminator_terms(real, fake, t.critic(real, alpha), t.critic(fake, alpha), alpha)


def test_wgan_gp_penalty_under_float16_sees_the_true_gradient_norm():
    _, penalty = _terms("wgan_gp")
    norm = np.sqrt(PIXELS * 1e-2 ** 2)  # 0.139; a flushed gradient would give norm 0, penalty 10
    np.testing.assert_allclose(penalty.numpy(), 10.0 * (norm - 1.0) ** 2, rtol=1e-3)


def test_r1_penalty_under_float16_sees_the_true_gradient():
    _, penalty = _terms("logistic_r1")
    np.testing.assert_allclose(penalty.numpy(), 0.5 * 10.0 * PIXELS * 1e-2 ** 2, rtol=1e-3)


def test_the_critic_underflows_without_loss_scaling():
    # The case is one that needs the scale: the same critic's unscaled float16 input gradient is zero.
    with precision_policy("mixed_float16"):
        critic = LinearCritic()
        x = tf.constant(np.full((1, 8, 8, 3), 1e-4, "float32"))
        with tf.GradientTape() as tape:
            tape.watch(x)
            s = tf.reduce_sum(tf.cast(critic(x), tf.float32))
        assert float(tf.reduce_max(tf.abs(tape.gradient(s, x)))) == 0.0
