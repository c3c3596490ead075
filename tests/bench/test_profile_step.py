"""bench.profile_step.fused_batch_norm: the fused kernel it swaps in computes what Keras' batch norm computes."""

from __future__ import annotations

import numpy as np


def test_fused_batch_norm_matches_keras_output_gradients_and_moving_statistics():
    import keras
    import tensorflow as tf

    from bench.profile_step import fused_batch_norm

    x = tf.random.stateless_normal((4, 3, 3, 5), seed=(0, 1)) * 2 + 0.5
    results = []
    for fused in (False, True):
        layer = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5)
        layer.build(x.shape)
        layer.gamma.assign(tf.linspace(0.5, 1.5, 5))

        def step(x, layer=layer):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = layer(x, training=True)
                loss = tf.reduce_sum(y * tf.sin(y))
            return [y, *tape.gradient(loss, [x, layer.gamma, layer.beta])]

        if fused:
            with fused_batch_norm():
                out = tf.function(step)(x)
        else:
            out = tf.function(step)(x)
        results.append([t.numpy() for t in out] + [layer.moving_mean.numpy(), layer.moving_variance.numpy()])
    for stock, fused in zip(*results):
        # the moving variance averages the biased batch variance in both (36 values: a 1/35 error would show)
        np.testing.assert_allclose(fused, stock, rtol=1e-4, atol=1e-5)
