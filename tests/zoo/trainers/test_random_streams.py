"""Random streams of the trainers: different on each replica, the same in distribution as one device, and
distinct per purpose from one run seed (issue 14 items 2 and 3)."""

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np

from tests.conftest import ROOT
from tests.zoo.trainers._family import gan_parts
from zoo.layers.sampling import GaussianSampling
from zoo.models.vae import ConvVAEDecoder, ConvVAEEncoder
from zoo.models.vae_gan import VAEGANDiscriminator
from zoo.trainers import GANTrainer, VAEGANTrainer, VAETrainer, WGANGPTrainer

# Draws of the latents, the gradient-penalty epsilon and the VAE noise under MirroredStrategy, through the
# trainers' own sample_latent (no override) and generators.
REPLICA_DRAWS = textwrap.dedent("""
    import json
    import tensorflow as tf
    tf.config.set_logical_device_configuration(tf.config.list_physical_devices("CPU")[0],
                                               [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras, numpy as np
    from tests.zoo.trainers._family import gan_parts
    from zoo.layers.sampling import GaussianSampling
    from zoo.trainers import WGANGPTrainer

    def draws(strategy, global_batch, n=25):
        per_replica = global_batch // strategy.num_replicas_in_sync
        with strategy.scope():
            t = WGANGPTrainer(*gan_parts(norm="layer", output_norm=False), seed=3)
            sampling = GaussianSampling(3)

        @tf.function
        def step():
            def fn():
                zeros = tf.zeros((per_replica, 8))
                return (t.sample_latent(per_replica),
                        keras.random.uniform((per_replica, 1), seed=getattr(t, "epsilon_generator", t.seed_generator)),
                        sampling(zeros, zeros))
            return strategy.run(fn)

        out = {"latent": [], "epsilon": [], "noise": []}
        for _ in range(n):
            for key, value in zip(out, step()):
                out[key].append([np.asarray(v).tolist() for v in strategy.experimental_local_results(value)])
        return out

    cpus = tf.config.list_logical_devices("CPU")
    print(json.dumps({"one": draws(tf.distribute.OneDeviceStrategy("/cpu:0"), 32),
                      "two": draws(tf.distribute.MirroredStrategy([d.name for d in cpus[:2]]), 32)}))
""")


def test_replicas_draw_different_numbers_distributed_as_on_one_device():
    env = {**os.environ, "PYTHONPATH": ROOT, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    p = subprocess.run([sys.executable, "-c", REPLICA_DRAWS], cwd=ROOT, env=env, capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    res = json.loads(p.stdout.strip().splitlines()[-1])
    for key in ("latent", "epsilon", "noise"):
        two = np.asarray(res["two"][key])  # [draws, replicas, B/2, d]
        one = np.asarray(res["one"][key])  # [draws, 1, B, d]
        assert two.shape[1] == 2 and one.shape[1] == 1
        a, b = two[:, 0].ravel(), two[:, 1].ravel()
        assert not np.allclose(a, b), f"{key}: both replicas drew the same numbers"
        assert abs(np.corrcoef(a, b)[0, 1]) < 0.1, key  # independent, not shifted copies
        # One device with global batch B and two with B/2 each: the same distribution (moments of many draws).
        x, y = one.ravel(), two.ravel()
        assert x.size == y.size
        assert abs(x.mean() - y.mean()) < 0.05 and abs(x.std() - y.std()) < 0.05, key


def _first(generator_draw):
    return np.asarray(generator_draw).ravel()


def test_streams_of_one_run_seed_differ():
    seed = 7
    bare = _first(keras.random.normal((4, 8), seed=keras.random.SeedGenerator(seed)))  # the run seed as is
    gan = WGANGPTrainer(*gan_parts(norm="layer", output_norm=False), seed=seed)
    latents = _first(gan.sample_latent(4))
    epsilon = _first(keras.random.normal((4, 8), seed=gan.epsilon_generator))
    vae = VAETrainer(ConvVAEEncoder(16, 3, 8, 4), ConvVAEDecoder(8, 16, 3, 4), seed=seed)
    posterior = _first(vae.sampling(np.zeros((4, 8), "float32"), np.zeros((4, 8), "float32")))
    vae_gan = VAEGANTrainer(ConvVAEEncoder(16, 3, 8, 4), ConvVAEDecoder(8, 16, 3, 4), VAEGANDiscriminator(16, 3, 4, 8),
                            seed=seed)
    prior = _first(keras.random.normal((4, 8), seed=vae_gan.seed_generator))
    streams = {"bare seed": bare, "latents": latents, "epsilon": epsilon, "posterior": posterior, "prior": prior}
    names = list(streams)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert not np.allclose(streams[a], streams[b]), f"{a} and {b} repeat each other"
    # Reproducible: the same seed gives the same stream.
    again = GANTrainer(*gan_parts(), seed=seed)
    np.testing.assert_array_equal(_first(again.sample_latent(4)), latents)
    assert isinstance(GaussianSampling(0).seed_generator, keras.random.SeedGenerator)
