"""Minibatch standard deviation (Karras et al. 2018): one feature map telling the critic how varied a batch is."""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops


@keras.saving.register_keras_serializable(package="facezoo")
class MinibatchStddev(keras.layers.Layer):
    """x [B, H, W, C] -> [B, H, W, C + 1]. The batch is split into groups of ``group_size`` consecutive examples
    (the whole batch when smaller); for each group the standard deviation of every feature over the group is
    averaged over features and pixels, and that scalar is appended as a constant channel to the group's members.

    Groups are consecutive so that a batch split across replicas (per-replica batch a multiple of the group size)
    sees the same groups as on one device. The batch must be divisible by the group size.
    """

    def __init__(self, group_size: int = 4, epsilon: float = 1e-8, **kwargs):
        super().__init__(**kwargs)
        if group_size < 1:
            raise ValueError(f"MinibatchStddev group_size must be positive, got {group_size}")
        self.group_size, self.epsilon = int(group_size), float(epsilon)

    def call(self, x):
        shape = ops.shape(x)
        batch, h, w, c = shape[0], shape[1], shape[2], shape[3]
        g = ops.minimum(self.group_size, batch)
        tf.debugging.assert_equal(batch % g, 0, message="MinibatchStddev: batch size not divisible by group size")
        y = ops.reshape(ops.cast(x, "float32"), (-1, g, h, w, c))        # [M, G, H, W, C]
        y = y - ops.mean(y, axis=1, keepdims=True)
        std = ops.sqrt(ops.mean(ops.square(y), axis=1) + self.epsilon)     # [M, H, W, C]
        s = ops.mean(std, axis=(1, 2, 3))                                 # [M]
        s = ops.repeat(s, g, axis=0)                                      # [B]: each member gets its group's value
        s = ops.broadcast_to(ops.reshape(s, (-1, 1, 1, 1)), (batch, h, w, 1))
        return ops.concatenate([x, ops.cast(s, x.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], None if input_shape[-1] is None else input_shape[-1] + 1)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size, "epsilon": self.epsilon}
