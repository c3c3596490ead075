"""Random streams: distinct per purpose, and distinct per replica under tf.distribute.

Two problems this module solves once for every trainer, layer and model:

- ``keras.random.SeedGenerator`` keeps its state in one variable that every replica of a ``MirroredStrategy``
  reads, so all replicas draw the same numbers (N GPUs would train on N copies of one fake batch).
  ``ReplicaSeedGenerator`` folds the replica id into each drawn seed.
- Seeding several streams (trainer latents, style-mixing draws, noise inputs) with the same integer makes them
  repeat each other. ``derive_seed(seed, "purpose")`` gives each purpose its own, reproducible integer.
"""

from __future__ import annotations

import hashlib

import keras
import tensorflow as tf

# Added to the first seed word per replica: far from the small seeds users pick, odd so that it never wraps to 0.
_REPLICA_STRIDE = 1_000_003


def derive_seed(seed: int, purpose: str) -> int:
    """A 31-bit integer seed for ``purpose`` derived from ``seed``: the same for the same pair, unrelated across
    purposes (sha256 of both), so streams seeded from one run seed never repeat each other."""
    digest = hashlib.sha256(f"{int(seed)}:{purpose}".encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF


def replica_id():
    """This replica's index in its sync group (0 outside a strategy or in cross-replica context), int32 tensor."""
    ctx = tf.distribute.get_replica_context()
    if ctx is None:
        return tf.constant(0, tf.int32)
    return tf.cast(ctx.replica_id_in_sync_group, tf.int32)


class ReplicaSeedGenerator(keras.random.SeedGenerator):
    """A ``SeedGenerator`` whose draws differ across the replicas of a distribution strategy.

    Same state variable and checkpoint layout as Keras' class; on one device (replica 0) it draws exactly what
    ``keras.random.SeedGenerator(seed)`` would.
    """

    def next(self, ordered=True):
        seed = super().next(ordered=ordered)
        offset = tf.cast(replica_id(), seed.dtype) * tf.constant(_REPLICA_STRIDE, seed.dtype)
        return seed + tf.stack([offset, tf.zeros_like(offset)])
