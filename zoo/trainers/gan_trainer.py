"""GANTrainer: the adversarial training step shared by DCGAN and the variants of the GAN family.

A variant overrides only what differs: ``discriminator_loss`` / ``generator_loss`` (Wasserstein),
``discriminator_penalty`` (L2 on weights, gradient penalty), ``after_discriminator_step`` (weight clipping),
and ``n_critic``. Every variant may keep an EMA of its generator (``ema_half_life_images``), updated after each
generator update.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from zoo.losses import adversarial
from zoo.trainers.base import AdversarialMixin, AugmentMixin, TrainerMixin, mean_trackers
from zoo.trainers.ema import GeneratorEMAMixin, ema_beta
from zoo.utils.random import ReplicaSeedGenerator, derive_seed


@keras.saving.register_keras_serializable(package="facezoo")
class GANTrainer(GeneratorEMAMixin, AugmentMixin, AdversarialMixin, TrainerMixin, keras.Model):
    """Trains ``generator`` (z [B, latent_dim] -> images) against ``discriminator`` (images -> logits [B, 1]).

    ``compile(g_optimizer=..., d_optimizer=...)``; ``fit`` on batches of real images in [-1, 1]. Each step does
    ``n_critic`` discriminator updates, each on a fresh real batch and fresh z (Algorithm 1 of the WGAN papers),
    then one generator update: a step's batch holds ``real_batches_per_step`` (= n_critic) batches of B images,
    split in order. Logged: ``d_loss``, ``g_loss``
    and ``d_real`` / ``d_fake`` (mean discriminator output on real and generated images).

    ``augment``: None, or an augmenter (``zoo.augment``: ``DiffAugment``, ``ADA``) that every batch goes through
    before the discriminator sees it (``AugmentMixin``); its state is part of the trainer's and its logs (ADA's
    ``augment_p``, ``r_t``) join the step's.

    ``ema_half_life_images`` > 0 keeps an EMA of the generator's weights (``GeneratorEMAMixin``) with StyleGAN's
    decay 0.5 ** (images / half-life) per generator update, images = the update's batch of latents (B x replicas,
    whatever n_critic is); ``sample`` then draws from it. 0 (the default) keeps none: no extra variable or op.
    """

    n_critic = 1

    def __init__(self, generator, discriminator, seed: int = 0, augment=None, ema_half_life_images: float = 0.0,
                 **kwargs):
        super().__init__(**kwargs)
        if not ema_half_life_images >= 0:  # also refuses NaN
            raise ValueError(f"ema_half_life_images must be >= 0 (0: no EMA), got {ema_half_life_images}")
        self.generator, self.discriminator, self.seed = generator, discriminator, seed
        self.ema_half_life_images = float(ema_half_life_images)
        self.augmenter = augment
        self.latent_dim = generator.latent_dim
        # Its own stream (not the bare run seed, which other parts of a run also derive from), different on
        # each replica of a distribution strategy.
        self.seed_generator = ReplicaSeedGenerator(derive_seed(seed, "latents"), name="seed_generator")
        self.trackers = mean_trackers("d_loss", "g_loss", "d_real", "d_fake")
        if self.ema_half_life_images > 0:
            self.init_ema()

    # -- configuration -------------------------------------------------------------------------------------
    def compile(self, g_optimizer, d_optimizer, **kwargs):
        super().compile(**kwargs)
        self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer

    def part_input_shape(self, model):
        if model is self.generator:
            return (None, self.latent_dim)
        return (None, model.image_size, model.image_size, model.channels)

    # -- what variants override ----------------------------------------------------------------------------
    def discriminator_loss(self, real_logits, fake_logits):
        """Per-example discriminator loss [B]."""
        return adversarial.bce_discriminator_loss(real_logits, fake_logits)

    def generator_loss(self, fake_logits):
        """Per-example generator loss [B]."""
        return adversarial.bce_generator_loss(fake_logits)

    def discriminator_penalty(self, real, fake):
        """Scalar added to the reduced discriminator loss (already per-replica scaled); none for DCGAN."""
        return 0.0

    def after_discriminator_step(self):
        """Runs after each discriminator update (weight clipping in WGAN)."""

    def discriminator_output(self, logits):
        """Mean 'realness' logged as d_real / d_fake: a probability for BCE discriminators."""
        return tf.reduce_mean(tf.sigmoid(tf.cast(logits, tf.float32)))

    # -- the step ------------------------------------------------------------------------------------------
    def sample_latent(self, batch_size):
        return keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)

    def call(self, z, training=False):
        return self.generator(z, training=training)

    def sample(self, z):
        """Images [N, H, W, C] in about [-1, 1] for z [N, latent_dim]: from the EMA generator when the trainer keeps
        one, else from the generator (inference mode)."""
        return (self.sync_ema() if self.keeps_ema else self.generator)(z, training=False)

    @property
    def real_batches_per_step(self) -> int:
        """Real batches one train step consumes (one per critic update): the data pipeline batches this many
        times B images, and an epoch is counted in real images seen."""
        return int(self.n_critic)

    def real_batches_schedule(self):
        """None: every step takes ``real_batches_per_step`` batches (a variant may return step -> batches)."""
        return None

    def split_real(self, real):
        """The step's real images [k * B, ...] -> k batches [B, ...] in order, k = ``real_batches_per_step``."""
        k = self.real_batches_per_step
        if k == 1:
            return [real]
        n = real.shape[0]
        if n is not None and n % k:
            raise ValueError(f"a step's {n} real images do not split into {k} critic batches: the data pipeline must "
                             f"batch real_batches_per_step ({k}) x B images (zoo.training.setup.image_dataset_fn)")
        return tf.split(real, k, axis=0)

    def joint_batch_statistics(self) -> bool:
        """Whether the discriminator must see real and fake in ONE batch: true when it normalises its score over
        the batch (``score_batch_norm``, Cheng et al.'s BN on the logit), where separate calls would centre each
        batch on its own and erase their difference. Otherwise real and fake go through separate calls, each
        batch normalised by its own statistics, as in the DCGAN and WGAN reference code."""
        return bool(getattr(self.discriminator, "score_batch_norm", False))

    def discriminator_logits(self, real, fake):
        """(real_logits, fake_logits): one call on the concatenated batch under ``joint_batch_statistics``,
        else one call each."""
        fake = tf.cast(fake, real.dtype)
        if not self.joint_batch_statistics():
            return self.discriminator(real, training=True), self.discriminator(fake, training=True)
        logits = self.discriminator(tf.concat([real, fake], axis=0), training=True)
        batch = tf.shape(real)[0]
        return logits[:batch], logits[batch:]

    def discriminator_step(self, real):
        """One discriminator update on ``real`` and fresh fakes, both as ``augment`` makes them; the penalty (WGAN-GP's
        interpolates) is taken between the augmented batches, the images the discriminator is trained on."""
        batch = tf.shape(real)[0]
        z = self.sample_latent(batch)
        real = self.augment(real)
        with tf.GradientTape() as tape:
            fake = self.augment(self.generator(z, training=True))
            real_logits, fake_logits = self.discriminator_logits(real, fake)
            loss = self.reduce_loss(self.discriminator_loss(real_logits, fake_logits))
            loss = loss + self.discriminator_penalty(real, fake)
        self.apply(self.d_optimizer, tape, loss, self.discriminator.trainable_variables)
        self.after_discriminator_step()
        self.observe_real_logits(real_logits)
        return loss, real_logits, fake_logits

    def generator_step(self, real):
        """One generator update. Under ``joint_batch_statistics`` ``real`` (a real batch) joins the fakes in the
        discriminator call, so the batch statistics are those the discriminator step used (on fakes alone a norm
        on the score would centre them, and the generator would get no gradient towards 'more real'); otherwise
        the discriminator sees the fakes alone, as in the papers' code. Both go through ``augment``, the fakes
        inside the tape: the generator's gradient passes through the augmentation."""
        z = self.sample_latent(tf.shape(real)[0])
        with tf.GradientTape() as tape:
            fake = self.augment(self.generator(z, training=True))
            if self.joint_batch_statistics():
                _, fake_logits = self.discriminator_logits(self.augment(real), fake)
            else:
                fake_logits = self.discriminator(fake, training=True)
            loss = self.reduce_loss(self.generator_loss(fake_logits))
        self.apply(self.g_optimizer, tape, loss, self.generator.trainable_variables)
        if self.keeps_ema:
            replicas = tf.distribute.get_strategy().num_replicas_in_sync
            self.update_ema(ema_beta(tf.shape(z)[0] * replicas, self.ema_half_life_images))
        return loss

    def train_step(self, data):
        real = data[0] if isinstance(data, (tuple, list)) else data
        batches = self.split_real(real)
        for batch in batches:
            d_loss, real_logits, fake_logits = self.discriminator_step(batch)
        g_loss = self.generator_step(batches[-1])
        return self.track(d_loss, g_loss, self.discriminator_output(real_logits),
                          self.discriminator_output(fake_logits))

    def track(self, d_loss, g_loss, d_real, d_fake):
        """Update the trackers with a step's last losses and mean outputs; returns the logs."""
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        # reduce_loss divides by the global batch; the tracked value is this replica's share times replicas.
        self.trackers["d_loss"].update_state(d_loss * replicas)
        self.trackers["g_loss"].update_state(g_loss * replicas)
        self.trackers["d_real"].update_state(d_real)
        self.trackers["d_fake"].update_state(d_fake)
        return {**{k: t.result() for k, t in self.trackers.items()}, **self.augment_logs()}

    def get_config(self):
        return {
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "seed": self.seed, "name": self.name, **self.augment_config(),
            # only when on: a trainer without EMA has the config it had before EMA existed
            **({"ema_half_life_images": self.ema_half_life_images} if self.keeps_ema else {}),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["generator"] = keras.saving.deserialize_keras_object(config["generator"])
        config["discriminator"] = keras.saving.deserialize_keras_object(config["discriminator"])
        return cls(**cls.deserialize_augment(config))
