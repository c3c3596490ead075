import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.losses.penalties import clip_weights, gradient_penalty, interpolate, kernel_variables, l2_weight_penalty


class LinearCritic(keras.Model):
    """f(x) = w . flatten(x): its input gradient is w everywhere."""

    def __init__(self, w):
        super().__init__()
        self.w = tf.constant(w, tf.float32)

    def call(self, x, training=False):
        return tf.reduce_sum(tf.reshape(x, [tf.shape(x)[0], -1]) * self.w, axis=1, keepdims=True)


def test_gradient_penalty_of_a_linear_critic_is_lambda_times_norm_minus_one_squared():
    w = np.array([3.0, 4.0, 0.0, 12.0], np.float32)  # ||w|| = 13
    critic = LinearCritic(w)
    real = np.random.default_rng(0).normal(size=(3, 2, 2, 1)).astype("float32")
    fake = np.random.default_rng(1).normal(size=(3, 2, 2, 1)).astype("float32")
    gp = np.asarray(gradient_penalty(critic, real, fake, np.array([0.1, 0.5, 0.9], np.float32), weight=10.0))
    np.testing.assert_allclose(gp, [10.0 * (13.0 - 1.0) ** 2] * 3, rtol=1e-5)
    unit = LinearCritic(np.array([0.6, 0.8, 0.0, 0.0], np.float32))  # ||w|| = 1: no penalty
    assert np.allclose(np.asarray(gradient_penalty(unit, real, fake, np.full(3, 0.3, np.float32))), 0.0, atol=1e-5)


def test_gradient_penalty_is_float32_under_float16_inputs():
    critic = LinearCritic(np.array([2.0, 0.0, 0.0, 0.0], np.float32))
    x = tf.zeros((2, 2, 2, 1), tf.float16)
    gp = gradient_penalty(critic, x, x, tf.constant([0.2, 0.7]), weight=1.0)
    assert gp.dtype == tf.float32
    np.testing.assert_allclose(np.asarray(gp), [1.0, 1.0], rtol=1e-5)


def test_interpolate_uses_one_epsilon_per_example():
    real, fake = np.ones((2, 1, 1, 2), np.float32), np.zeros((2, 1, 1, 2), np.float32)
    out = np.asarray(interpolate(real, fake, np.array([0.25, 1.0], np.float32)))
    np.testing.assert_allclose(out[:, 0, 0], [[0.25, 0.25], [1.0, 1.0]])


def test_l2_penalty_is_lambda_times_sum_of_squared_kernels():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, name="a"), keras.layers.BatchNormalization(),
                              keras.layers.Dense(1, name="b")])
    model.layers[0].kernel.assign([[1.0, -2.0], [0.5, 0.0]])
    model.layers[0].bias.assign([100.0, 100.0])  # biases are not penalised
    model.layers[2].kernel.assign([[3.0], [1.0]])
    kernels = kernel_variables(model)
    assert len(kernels) == 2
    assert float(l2_weight_penalty(kernels, 0.02)) == pytest.approx(0.02 * (1 + 4 + 0.25 + 0 + 9 + 1))


def test_clip_weights_bounds_every_variable():
    v = keras.Variable(np.array([-0.5, -0.005, 0.0, 0.02, 3.0], np.float32))
    clip_weights([v], 0.01)
    np.testing.assert_allclose(np.asarray(v), [-0.01, -0.005, 0.0, 0.01, 0.01])
    with pytest.raises(ValueError, match="clip_value"):
        clip_weights([v], 0.0)


def test_gradient_penalty_loss_scales_its_inner_gradient_and_divides_it_out():
    # Under mixed_float16 the critic's backward pass runs in float16: the inner gradient must be loss-scaled (as
    # the outer one is) and unscaled after, or small gradients underflow to 0.
    upstream = []

    @tf.custom_gradient
    def recorded(s):
        def grad(dy):
            upstream.append(float(tf.reduce_max(tf.abs(dy))))
            return dy
        return tf.identity(s), grad

    class RecordingCritic(LinearCritic):
        def call(self, x, training=False):
            return recorded(super().call(x))

    critic = RecordingCritic(np.array([3.0, 4.0, 0.0, 12.0], np.float32))
    real = np.random.default_rng(0).normal(size=(2, 2, 2, 1)).astype("float32")
    eps = np.array([0.3, 0.6], np.float32)
    plain = np.asarray(gradient_penalty(critic, real, real * 0, eps, weight=10.0))
    scaled = np.asarray(gradient_penalty(critic, real, real * 0, eps, weight=10.0, loss_scale=1024.0))
    assert upstream == [1.0, 1024.0]  # the critic's backward pass saw the scaled gradient
    np.testing.assert_allclose(scaled, plain, rtol=1e-6)  # and the penalty is the same value


def test_wgan_gp_trainer_passes_the_optimizer_loss_scale_to_the_penalty(monkeypatch):
    from tests.zoo.trainers._family import gan_parts, images
    from zoo.trainers import WGANGPTrainer, wgan_gp_trainer

    scales = []

    def spy(*args, **kwargs):
        scales.append(float(args[5] if len(args) > 5 else kwargs.get("loss_scale", 1.0)))
        return gradient_penalty(*args, **kwargs)

    monkeypatch.setattr(wgan_gp_trainer, "gradient_penalty", spy)
    t = WGANGPTrainer(*gan_parts(norm="layer", output_norm=False), n_critic=1)
    opt = keras.optimizers.LossScaleOptimizer
    t.compile(g_optimizer=opt(keras.optimizers.Adam(1e-4), initial_scale=256.0),
              d_optimizer=opt(keras.optimizers.Adam(1e-4), initial_scale=256.0))
    t.build_all()
    t.train_step(images())
    assert scales == [256.0]
