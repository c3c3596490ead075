"""The tf.distribute strategy a run uses: several GPUs -> MirroredStrategy, TF_CONFIG -> multi-worker."""

from __future__ import annotations

import json
import os

import tensorflow as tf


def get_strategy() -> tf.distribute.Strategy:
    """MultiWorkerMirroredStrategy when ``TF_CONFIG`` names several workers, MirroredStrategy on more than one
    GPU, otherwise the default (single-device) strategy."""
    tf_config = json.loads(os.environ.get("TF_CONFIG", "{}") or "{}")
    if len(tf_config.get("cluster", {}).get("worker", [])) > 1:
        return tf.distribute.MultiWorkerMirroredStrategy()
    gpus = tf.config.list_logical_devices("GPU")
    if len(gpus) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()
