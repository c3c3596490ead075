"""What the trainers call on an augmenter: ``augment(images)`` before every discriminator call, ``observe(logits)``
with the discriminator's outputs on the (augmented) reals of each discriminator update, ``logs()`` for metrics."""

from __future__ import annotations

import keras

from zoo.utils.random import ReplicaSeedGenerator


class Augmenter(keras.layers.Layer):
    """A layer (so that a trainer tracks, checkpoints and restores its state: the random stream and any
    controller variables) holding its own ``seed_generator``, distinct from the trainer's latents and on each
    replica. Computes in float32 whatever the precision policy: it moves pixels, the models cast after it."""

    def __init__(self, seed: int = 0, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.seed = int(seed)
        self.seed_generator = ReplicaSeedGenerator(self.seed, name="seed_generator")
        self.built = True  # state is made in __init__: it exists before a checkpoint is restored

    def augment(self, images):
        """images [B, H, W, C] in about [-1, 1] -> the same shape, as the discriminator is to see them."""
        raise NotImplementedError

    def call(self, images):
        return self.augment(images)

    def observe(self, real_logits) -> None:
        """The discriminator's logits [B, 1] on the augmented reals of one discriminator update (ADA's signal)."""

    def logs(self) -> dict:
        """Values logged with the trainer's metrics each step (scalars)."""
        return {}

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}
