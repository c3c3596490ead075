import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import ROOT
from zoo.layers import downsample2x, upsample2x
from zoo.models.progan import ProGANDiscriminator, ProGANGenerator
from zoo.trainers.progressive_trainer import ProgressiveTrainer, ema_beta, fade_reals, inverse_sigmoid_factor
from zoo.training.progressive import level_schedule, resume_position, train_progressive
from zoo.training.setup import make_optimizer


def _trainer(loss="wgan_gp", mixed=False, run_eagerly=True, **kwargs):
    g = ProGANGenerator(8, 8, 3, fmap_base=16, fmap_max=8)
    d = ProGANDiscriminator(8, 3, fmap_base=16, fmap_max=8, mbstd_group_size=2)
    t = ProgressiveTrainer(g, d, loss=loss, **{"ema_decay": 0.5, **kwargs})
    t.compile(g_optimizer=make_optimizer("adam", 1e-3, 0.0, 0.99, mixed),
              d_optimizer=make_optimizer("adam", 1e-3, 0.0, 0.99, mixed), jit_compile=False, run_eagerly=run_eagerly)
    t.build_all()
    return t


def _images(n=4, size=8, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, size, size, 3)).astype("float32")


def test_inverse_sigmoid_learning_rate_decreases_within_a_level():
    f = [float(inverse_sigmoid_factor(p, 6.0)) for p in (0.0, 0.25, 0.5, 1.0)]
    assert f[0] == pytest.approx(1.0) and f[0] > f[1] > f[2] > f[3]
    assert f[3] == pytest.approx((1 + np.exp(-3)) / (1 + np.exp(3)), rel=1e-5)
    assert float(inverse_sigmoid_factor(0.7, 0.0)) == pytest.approx(1.0)


@pytest.mark.parametrize("loss", ["wgan_gp", "logistic_r1"])
def test_a_step_in_the_fade_in_updates_weights_state_and_ema(loss):
    t = _trainer(loss)
    t.enter_level(1, images=16, fade_images=8)
    before = [v.numpy().copy() for v in t.generator.trainable_variables]
    ema_before = [v.numpy().copy() for v in t.ema_weights]
    logs = t.train_step(tf.constant(_images()))
    assert all(np.isfinite(float(v)) for v in logs.values())
    assert float(logs["alpha"]) == 0.0 and float(logs["penalty"]) > 0  # alpha read before the step
    assert int(t.level_images.numpy()) == 4 and int(t.images_seen.numpy()) == 4
    t.train_step(tf.constant(_images(seed=1)))
    assert float(t.alpha.numpy()) == pytest.approx(0.5)  # 4 of 8 fade-in images seen
    assert float(t.g_optimizer.learning_rate.numpy()) < 1e-3  # inverse-sigmoid decay has started
    assert any(np.abs(v.numpy() - b).max() > 0 for v, b in zip(t.generator.trainable_variables, before))
    assert any(np.abs(e.numpy() - b).max() > 0 for e, b in zip(t.ema_weights, ema_before))
    assert t.sample(np.zeros((2, 8), "float32")).shape == (2, 8, 8, 3)
    with pytest.raises(ValueError, match="trains on 8 px images"):
        t.train_step(tf.constant(_images(size=4)))


def test_fade_reals_blends_with_the_2x2_box_version_by_alpha():
    img = np.array([[1, 3, 0, 0], [5, 7, 0, 4], [2, 2, 8, 8], [2, 2, 8, 8]], "float32").reshape(1, 4, 4, 1)
    box = np.array([[4, 4, 1, 1], [4, 4, 1, 1], [2, 2, 8, 8], [2, 2, 8, 8]], "float32").reshape(1, 4, 4, 1)
    np.testing.assert_allclose(fade_reals(img, 0.25), 0.25 * img + 0.75 * box, rtol=1e-6)
    np.testing.assert_allclose(fade_reals(img, 0.0), box)
    np.testing.assert_allclose(fade_reals(img, 1.0), img)


class _Spy(ProgressiveTrainer):
    """Records the first image batch the critic sees in each step (the reals)."""

    def critic(self, images, alpha, training=True):
        if getattr(self, "seen", None) is None:
            self.seen = images.numpy()
        return super().critic(images, alpha, training)


def _spy(**kwargs):
    g = ProGANGenerator(8, 8, 3, fmap_base=16, fmap_max=8)
    d = ProGANDiscriminator(8, 3, fmap_base=16, fmap_max=8, mbstd_group_size=2)
    t = _Spy(g, d, loss="logistic", ema_decay=0.5, **kwargs)
    t.compile(g_optimizer=make_optimizer("adam", 1e-3, 0.0, 0.99), d_optimizer=make_optimizer("adam", 1e-3, 0.0, 0.99),
              jit_compile=False, run_eagerly=True)
    t.build_all()
    return t


def test_the_discriminator_sees_reals_faded_like_the_fakes_during_a_fade_in():
    t = _spy()
    t.enter_level(1, images=16, fade_images=8)
    x = _images()
    t.train_step(tf.constant(x))  # alpha 0: the reals of the 4 px level, shown at 8 px
    np.testing.assert_allclose(t.seen, upsample2x(downsample2x(x)), atol=1e-6)
    t.seen = None
    t.train_step(tf.constant(x))  # alpha 0.5
    np.testing.assert_allclose(t.seen, 0.5 * x + 0.5 * np.asarray(upsample2x(downsample2x(x))), atol=1e-6)
    t.enter_level(1, images=16, fade_images=0)  # no fade-in: the reals as they are
    t.seen = None
    t.train_step(tf.constant(x))
    np.testing.assert_allclose(t.seen, x, atol=1e-6)


def test_mirror_augment_flips_some_reals_left_right():
    t = _spy(mirror_augment=True)
    t.enter_level(0, images=64, fade_images=0)
    x = _images(16, 4)
    t.train_step(tf.constant(x))
    flipped = [np.allclose(s, r[:, ::-1]) for s, r in zip(t.seen, x)]
    kept = [np.allclose(s, r) for s, r in zip(t.seen, x)]
    assert all(f or k for f, k in zip(flipped, kept)) and 0 < sum(flipped) < 16


def test_ema_half_life_in_images_sets_the_decay_from_the_global_batch():
    assert float(ema_beta(32, 10_000)) == pytest.approx(0.5 ** (32 / 10_000), rel=1e-6)
    t = _trainer(ema_half_life_images=4.0)  # a batch of 4 is one half-life: beta 0.5
    t.enter_level(1, images=16, fade_images=8)
    for e, v in zip(t.ema_weights, t.generator.trainable_variables):
        e.assign(v + 1.0)
    before = [e.numpy().copy() for e in t.ema_weights]
    t.train_step(tf.constant(_images()))
    for e, b, v in zip(t.ema_weights, before, t.generator.trainable_variables):
        np.testing.assert_allclose(e.numpy(), 0.5 * b + 0.5 * v.numpy(), atol=1e-6)
    assert ProgressiveTrainer.from_config(t.get_config()).ema_half_life_images == 4.0


def test_trainer_latents_style_mixing_and_noise_draw_from_distinct_streams():
    from zoo.models.stylegan import StyleGANGenerator

    g = StyleGANGenerator(8, 8, 8, 3, mapping_layers=1, fmap_base=16, fmap_max=8, seed=0)
    d = ProGANDiscriminator(8, 3, fmap_base=16, fmap_max=8, mbstd_group_size=2)
    t = ProgressiveTrainer(g, d, seed=0)
    z = t.sample_latent(4).numpy()
    z2 = keras.random.normal((4, 8), seed=g.mixing_seed).numpy()  # the first draw of the mixing z2
    noise = [keras.random.normal((4, 8), seed=layer.noise.seed_generator).numpy() for layer in g.synthesis.styled[:2]]
    assert np.abs(z - z2).max() > 0.1 and np.abs(noise[0] - noise[1]).max() > 0.1
    assert np.abs(noise[0] - z).max() > 0.1 and np.abs(noise[0] - z2).max() > 0.1


def test_a_fresh_level_restarts_the_optimizers_but_not_the_step_count():
    t = _trainer(run_eagerly=True)
    t.enter_level(0, images=8, fade_images=0)
    t.train_step(tf.constant(_images(size=4)))
    t.train_step(tf.constant(_images(size=4, seed=1)))
    opt = t.g_optimizer
    assert int(opt.iterations.numpy()) == 2 and t.completed_steps() == 2
    assert any(np.abs(v.numpy()).max() > 0 for v in opt.variables if "momentum" in v.path or "velocity" in v.path)
    t.enter_level(0, images=8, fade_images=0, fresh=False)  # a resume inside the level keeps the state
    assert int(opt.iterations.numpy()) == 2
    t.enter_level(1, images=16, fade_images=8)
    for o in (t.g_optimizer, t.d_optimizer):
        assert int(o.iterations.numpy()) == 0
        assert all(np.abs(v.numpy()).max() == 0 for v in o.variables if "momentum" in v.path or "velocity" in v.path)
        assert float(o.learning_rate.numpy()) > 0
    assert t.completed_steps() == 2
    t.train_step(tf.constant(_images()))
    assert t.completed_steps() == 3 and int(t.g_optimizer.iterations.numpy()) == 1


def test_a_resume_with_a_longer_schedule_lengthens_the_level_without_reopening_its_fade_in():
    t = _trainer(run_eagerly=True)
    t.enter_level(1, images=16, fade_images=8)
    for seed in range(3):  # 12 images: the 8-image fade-in is over
        t.train_step(tf.constant(_images(seed=seed)))
    assert float(t.current_alpha()) == 1.0
    t.enter_level(1, images=160, fade_images=80, fresh=False)  # --resume --images-per-level 10x
    assert int(t.level_images.numpy()) == 12 and int(t.level_length.numpy()) == 160
    assert float(t.current_alpha()) == 1.0  # not 12 / 80: the trained level is not blended out again
    t.train_step(tf.constant(_images(seed=3)))
    assert float(t.alpha.numpy()) == 1.0


def test_mixed_bfloat16_step_is_finite_with_a_float32_penalty():
    previous = keras.mixed_precision.global_policy().name
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        t = _trainer(mixed=True)
        assert t.generator.compute_dtype == "bfloat16" and t.generator.trainable_variables[0].dtype == "float32"
        assert isinstance(t.d_optimizer, keras.optimizers.LossScaleOptimizer)
        t.enter_level(1, images=16, fade_images=8)
        real = tf.constant(_images())
        fake = t.generator(tf.random.normal((4, 8)), level=1, alpha=0.5)
        _, penalty = t.discriminator_terms(real, fake, t.critic(real, 0.5), t.critic(fake, 0.5), 0.5)
        assert penalty.dtype == tf.float32 and fake.dtype == tf.float32
        logs = t.train_step(real)
        assert all(np.isfinite(float(v)) for v in logs.values())
        assert all(np.isfinite(v.numpy()).all() for v in t.generator.trainable_variables)
    finally:
        keras.mixed_precision.set_global_policy(previous)


def test_resume_restores_level_alpha_and_image_count_mid_level(tmp_path):
    levels = level_schedule((4, 8), 8, 4)  # 2 steps per level

    def dataset_fn(lv, offset):
        return tf.data.Dataset.from_tensor_slices(_images(8, lv.resolution)).repeat().batch(lv.batch_size)

    class StopAt(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if int(t.images_seen.numpy()) == 12:  # one step into the 8 px level
                raise KeyboardInterrupt

    t = _trainer(run_eagerly=True)
    with pytest.raises(KeyboardInterrupt):
        train_progressive(t, levels, dataset_fn, str(tmp_path), log_every=1, extra_callbacks=[StopAt()], verbose=0)
    t2 = _trainer(run_eagerly=True)
    from zoo.training.checkpoint import latest_checkpoint, load_checkpoint

    load_checkpoint(latest_checkpoint(str(tmp_path / "checkpoints")), t2.checkpoint_variables())
    assert (int(t2.level.numpy()), int(t2.level_images.numpy()), float(t2.alpha.numpy())) == (1, 4, 0.0)
    assert resume_position(t2, levels) == (1, True) and t2.completed_steps() == 3
    t3 = _trainer(run_eagerly=True)
    out = train_progressive(t3, levels, dataset_fn, str(tmp_path), resume=True, log_every=1, verbose=0)
    assert out == {"levels_done": [8], "images_seen": 16, "budget_spent": False} and t3.completed_steps() == 4
    assert os.path.isfile(tmp_path / "status.json")


TWO_REPLICAS = textwrap.dedent("""
    import json, sys, threading
    import tensorflow as tf
    tf.config.set_logical_device_configuration(tf.config.list_physical_devices("CPU")[0],
                                               [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras, numpy as np
    from zoo.models.progan import ProGANDiscriminator, ProGANGenerator
    from zoo.trainers.progressive_trainer import ProgressiveTrainer
    from zoo.training.setup import make_optimizer

    class Deterministic(ProgressiveTrainer):
        # Randomness tied to the examples, so one and two replicas see the same latents per example. The batch
        # is kept per thread: MirroredStrategy traces each replica in its own thread and switches between them
        # at every all-reduce, so one shared attribute would hand replica 0 the batch of replica 1.
        _local = threading.local()
        def sample_latent(self, batch):
            real = self._local.real
            return tf.zeros((batch, self.latent_dim)) + tf.reduce_mean(real, axis=[1, 2])[:, :1] * 3.0
        def sample_interpolation(self, batch):
            return tf.fill((batch, 1, 1, 1), 0.3)
        def train_step(self, data):
            self._local.real = data
            return super().train_step(data)

    def run(strategy):
        with strategy.scope():
            keras.utils.set_random_seed(0)
            t = Deterministic(ProGANGenerator(8, 8, 3, 16, 8), ProGANDiscriminator(8, 3, 16, 8, 2), ema_decay=0.5)
            # SGD: its update is linear in the gradient, so float rounding of the all-reduce stays ~1e-7
            # (Adam's first step is lr * sign(g) and flips on gradients that are rounding noise).
            t.compile(g_optimizer=make_optimizer("sgd", 1e-2), d_optimizer=make_optimizer("sgd", 1e-2),
                      jit_compile=False)
            t.build_all()
        t.enter_level(1, 16, 8)
        t.initial = [v.numpy().copy() for v in t.generator.trainable_variables + t.ema_weights]
        x = np.random.default_rng(0).uniform(-1, 1, (4, 8, 8, 3)).astype("float32")
        t.fit(tf.data.Dataset.from_tensor_slices(x).batch(4).repeat(), steps_per_epoch=2, epochs=1, verbose=0)
        return t

    one = run(tf.distribute.OneDeviceStrategy("/cpu:0"))
    cpus = tf.config.list_logical_devices("CPU")
    two = run(tf.distribute.MirroredStrategy([d.name for d in cpus[:2]]))
    diff = max(float(np.abs(a.numpy() - b.numpy()).max()) for a, b in
               zip(one.generator.trainable_variables + one.discriminator.trainable_variables + one.ema_weights,
                   two.generator.trainable_variables + two.discriminator.trainable_variables + two.ema_weights))
    # how far training moved the weights: the replicas' agreement means something only if they moved
    moved = max(float(np.abs(v.numpy() - v0).max()) for v, v0 in
                zip(one.generator.trainable_variables + one.ema_weights, one.initial))
    print(json.dumps({"replicas": two.distribute_strategy.num_replicas_in_sync, "diff": diff, "moved": moved,
                      "images": int(two.images_seen.numpy()), "level_images": int(two.level_images.numpy())}))
""")


def test_two_replicas_give_the_same_weights_as_one_with_the_same_global_batch():
    env = {**os.environ, "PYTHONPATH": ROOT, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    p = subprocess.run([sys.executable, "-c", TWO_REPLICAS], cwd=ROOT, env=env, capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    res = json.loads(p.stdout.strip().splitlines()[-1])
    assert res["replicas"] == 2 and res["images"] == 8 and res["level_images"] == 8
    assert res["diff"] < 1e-5 and res["moved"] > 100 * res["diff"] and res["moved"] > 1e-4, res


REPLICA_DRAWS = textwrap.dedent("""
import json, sys
import tensorflow as tf
tf.config.set_logical_device_configuration(tf.config.list_physical_devices("CPU")[0],
                                           [tf.config.LogicalDeviceConfiguration()] * 2)
import keras, numpy as np
from zoo.models.progan import ProGANDiscriminator
from zoo.models.stylegan import StyleGANGenerator
from zoo.trainers.progressive_trainer import ProgressiveTrainer

strategy = tf.distribute.MirroredStrategy([d.name for d in tf.config.list_logical_devices("CPU")[:2]])
with strategy.scope():
    g = StyleGANGenerator(8, 8, 8, 3, mapping_layers=1, fmap_base=16, fmap_max=8, seed=0)
    t = ProgressiveTrainer(g, ProGANDiscriminator(8, 3, fmap_base=16, fmap_max=8, mbstd_group_size=2), seed=0)

@tf.function
def draw():
    def fn():
        return (t.sample_latent(2), keras.random.normal((2, 8), seed=g.mixing_seed),
                g.synthesis.styled[1].noise.noise_image(tf.zeros((2, 4, 4, 8)), True))
    return strategy.run(fn)

out = draw()
diffs = [float(np.abs(np.asarray(a) - np.asarray(b)).max())
         for a, b in (strategy.experimental_local_results(x) for x in out)]
print(json.dumps({"diffs": diffs}))
""")


def test_each_replica_draws_its_own_latents_mixing_latents_and_noise():
    # Issue 14 item 2: with keras' SeedGenerator every replica of a MirroredStrategy drew the same numbers.
    env = {**os.environ, "PYTHONPATH": ROOT, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    p = subprocess.run([sys.executable, "-c", REPLICA_DRAWS], cwd=ROOT, env=env, capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    diffs = json.loads(p.stdout.strip().splitlines()[-1])["diffs"]
    assert len(diffs) == 3 and min(diffs) > 0.1, diffs  # trainer z, StyleGAN mixing z2, a NoiseInput's noise
