"""The generator's exponential moving average (EMA), kept by every GAN trainer that asks for it: the weights that
samples, evaluation, presets and export use (Karras et al.'s G_smoothing; Yazici et al. 2019 measure what it gains).
"""

from __future__ import annotations

import tensorflow as tf


def ema_beta(images_per_step, half_life_images: float):
    """StyleGAN's EMA decay per step: 0.5 ** (images per step / half-life in images) (``G_smoothing_kimg``), so that
    after ``half_life_images`` images the average gives the weights it started from half its weight."""
    return tf.pow(0.5, tf.cast(images_per_step, tf.float32) / float(half_life_images))


class _Untracked:
    """Holds the sampling copy of the generator out of Keras' tracking, so it is not checkpointed twice."""

    def __init__(self, model):
        self.model = model


class GeneratorEMAMixin:
    """An EMA of ``self.generator``'s trainable weights for a ``keras.Model`` trainer with a ``latent_dim``.

    ``init_ema()`` (in ``__init__``) makes one float32 trainer variable per trainable generator weight, ``ema_<i>``,
    started at the generator's values (so they are checkpointed and restored with the trainer's state), and an
    untracked copy of the generator to sample from. ``update_ema(beta)`` after each generator update:
    ``ema <- beta * ema + (1 - beta) * weight``. ``sync_ema()`` returns the copy with the EMA weights and the live
    generator's non-trainable state (batch-norm statistics), as stylegan2-ada copies its buffers.
    A trainer that never calls ``init_ema`` keeps no EMA (``keeps_ema`` False) and has no extra variable.
    """

    ema_weights: list | tuple = ()  # none until init_ema

    @property
    def keeps_ema(self) -> bool:
        return bool(self.ema_weights)

    def init_ema(self) -> None:
        generator = self.generator
        if not generator.built:
            generator.build((None, self.latent_dim))
        self.ema_weights = [self.add_weight(shape=v.shape, dtype="float32", name=f"ema_{i}", trainable=False,
                                            initializer="zeros", aggregation="mean")
                            for i, v in enumerate(generator.trainable_variables)]
        for e, v in zip(self.ema_weights, generator.trainable_variables):
            e.assign(v)
        sampler = generator.__class__.from_config(generator.get_config())
        sampler.build((None, self.latent_dim))
        self._sampler = _Untracked(sampler)

    def update_ema(self, beta) -> None:
        for e, v in zip(self.ema_weights, self.generator.trainable_variables):
            e.assign(beta * e + (1.0 - beta) * tf.cast(v, tf.float32))

    @property
    def ema_generator(self):
        """A generator holding the EMA weights (refreshed by ``sample``/``sync_ema``)."""
        return self._sampler.model

    def sync_ema(self):
        sampler = self._sampler.model
        for s, e in zip(sampler.trainable_variables, self.ema_weights):
            s.assign(e)
        for s, v in zip(sampler.non_trainable_variables, self.generator.non_trainable_variables):
            s.assign(v)
        return sampler
