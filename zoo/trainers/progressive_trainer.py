"""ProgressiveTrainer: ProGAN / StyleGAN training, one level (resolution) at a time with a fade-in.

The position in the schedule lives in checkpointed variables (``level``, ``alpha``, ``level_images``,
``images_seen``), updated inside ``train_step`` together with the optimizer steps, so that a checkpoint taken
at any step restores the level, the fade-in and the image count exactly. The learning rate follows an inverse
sigmoid over each level and starts again at the next (slope 0: constant). An exponential moving average of the
generator's weights (``ema_decay``, or a half-life in images) is kept for sampling and evaluation. The real images
are processed as in NVlabs' ``process_reals``: mirrored at random (``mirror_augment``) and, during a fade-in,
blended with their 2x2-box down-then-up version by the generator's alpha (``fade_reals``), so that the
discriminator sees reals and fakes at the same effective resolution.
"""

from __future__ import annotations

import math

import keras
import tensorflow as tf

from zoo.losses import adversarial
from zoo.losses.penalties import gradient_penalty
from zoo.losses.progressive import drift_penalty, r1_penalty
from zoo.layers import box_blur2x, lerp
from zoo.trainers.base import AdversarialMixin, AugmentMixin, TrainerMixin, mean_trackers
from zoo.trainers.ema import GeneratorEMAMixin, ema_beta
from zoo.utils.random import ReplicaSeedGenerator, derive_seed

LOSSES = ("wgan_gp", "logistic_r1", "logistic")


def inverse_sigmoid_factor(progress, slope: float):
    """Learning-rate factor at ``progress`` in [0, 1] through a level: 1 at 0, decreasing along an inverse sigmoid
    centred at 0.5 to exp(-slope / 2) (about) at 1; ``slope`` 0 keeps it at 1."""
    p = tf.cast(progress, tf.float32)
    return (1.0 + math.exp(-slope / 2)) / (1.0 + tf.exp(slope * (p - 0.5)))


def fade_reals(images, alpha):
    """images [B, R, R, C] -> ``alpha * images + (1 - alpha) * box_blur2x(images)``: at alpha 0 the reals of the
    previous level shown at this size (each 2x2 block its mean), at alpha 1 the images themselves. The fade of the
    real images that matches the generator's fade-in (NVlabs ``process_reals``, 'FadeLOD')."""
    return lerp(box_blur2x(images), images, alpha)


@keras.saving.register_keras_serializable(package="facezoo")
class ProgressiveTrainer(GeneratorEMAMixin, AugmentMixin, AdversarialMixin, TrainerMixin, keras.Model):
    """Trains a progressive ``generator`` (``ProGANGenerator`` or ``StyleGANGenerator``: ``call(z, level, alpha,
    training)``) against a ``ProGANDiscriminator`` on batches of real images [B, R, R, C] in [-1, 1], R the
    current level's resolution.

    ``loss``: ``wgan_gp`` (Wasserstein loss + ``gp_weight`` gradient penalty + ``drift_weight`` drift, ProGAN's
    default), ``logistic_r1`` (non-saturating logistic + ``r1_gamma`` / 2 R1 on reals, StyleGAN's FFHQ setup) or
    ``logistic``. Penalties and losses are computed in float32 whatever the models' precision policy, and under
    mixed_float16 the penalties' inner gradients are loss-scaled like the losses (``loss_scale``).
    ``compile(g_optimizer=, d_optimizer=)``: their learning rates at compile time are the base rates of the
    inverse-sigmoid schedule. ``ema_half_life_images`` > 0 replaces the fixed ``ema_decay`` by StyleGAN's
    0.5 ** (global batch / half-life). ``mirror_augment`` flips each real image left-right with probability 1/2.
    ``augment``: None or a ``zoo.augment`` augmenter applied to every batch the discriminator sees, after the
    reals' mirror and fade (``AugmentMixin``); the penalties are taken on the augmented batches.
    Call ``enter_level`` before training a level; a fresh level also starts the
    optimizers' state afresh (``reset_optimizers``, as ProGAN does), so steps are counted by ``steps_done``.
    """

    def __init__(self, generator, discriminator, loss: str = "wgan_gp", gp_weight: float = 10.0,
                 drift_weight: float = 0.001, r1_gamma: float = 10.0, ema_decay: float = 0.999,
                 lr_sigmoid_slope: float = 6.0, seed: int = 0, reset_optimizers: bool = True,
                 ema_half_life_images: float = 0.0, mirror_augment: bool = False, augment=None, **kwargs):
        super().__init__(**kwargs)
        if loss not in LOSSES:
            raise ValueError(f"unknown progressive GAN loss {loss!r}; expected one of {LOSSES}")
        if generator.num_levels != discriminator.num_levels:
            raise ValueError(f"generator has {generator.num_levels} levels ({generator.resolution} px) but the "
                             f"discriminator {discriminator.num_levels} ({discriminator.resolution} px)")
        if not 0.0 <= ema_decay < 1.0:
            raise ValueError(f"ema_decay must be in [0, 1), got {ema_decay}")
        self.generator, self.discriminator = generator, discriminator
        self.augmenter = augment
        self.loss, self.gp_weight, self.drift_weight, self.r1_gamma = loss, float(gp_weight), float(drift_weight), \
            float(r1_gamma)
        self.ema_decay, self.lr_sigmoid_slope, self.seed = float(ema_decay), float(lr_sigmoid_slope), seed
        self.reset_optimizers = bool(reset_optimizers)
        self.ema_half_life_images, self.mirror_augment = float(ema_half_life_images), bool(mirror_augment)
        self.latent_dim, self.num_levels = generator.latent_dim, generator.num_levels
        # Its own stream (not the models' noise or mixing streams), different on every replica.
        self.seed_generator = ReplicaSeedGenerator(derive_seed(seed, "progressive_trainer"))
        self.trackers = mean_trackers("d_loss", "g_loss", "penalty", "d_real", "d_fake")

        def state(name, dtype, value=0):
            # only_first_replica: each replica computes the same update; one is kept.
            return self.add_weight(shape=(), dtype=dtype, name=name, trainable=False,
                                   initializer=keras.initializers.Constant(value), aggregation="only_first_replica")

        self.level = state("level", "int32")
        self.alpha = state("alpha", "float32", 1.0)
        self.level_images = state("level_images", "int64")      # real images shown in the current level
        self.level_length = state("level_length", "int64", 1)   # images the current level lasts
        self.fade_images = state("fade_images", "int64")        # images over which alpha goes 0 -> 1
        self.images_seen = state("images_seen", "int64")        # over the whole run
        self.steps_done = state("steps_done", "int64")          # train steps over the whole run
        self.current_level = 0
        self.base_learning_rates: dict[str, float] = {}

        if not generator.built:
            generator.build((None, self.latent_dim))
        if not discriminator.built:
            discriminator.build(self.part_input_shape(discriminator))
        self.init_ema()

    # -- configuration -------------------------------------------------------------------------------------
    def compile(self, g_optimizer, d_optimizer, **kwargs):
        super().compile(**kwargs)
        self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer
        self.base_learning_rates = {"g_optimizer": float(keras.ops.convert_to_numpy(g_optimizer.learning_rate)),
                                    "d_optimizer": float(keras.ops.convert_to_numpy(d_optimizer.learning_rate))}

    def completed_steps(self) -> int:
        # Counted by the trainer, not an optimizer: the optimizers start again at every level (reset_optimizers).
        return int(self.steps_done.numpy())

    def part_input_shape(self, model):
        if model is self.generator:
            return (None, self.latent_dim)
        return (None, model.resolution, model.resolution, model.channels)

    def enter_level(self, level: int, images: int, fade_images: int, fresh: bool = True) -> None:
        """Train ``level`` next, for ``images`` real images with a fade-in over the first ``fade_images`` (none at
        level 0). ``fresh`` starts its image count at 0; ``fresh=False`` keeps the restored count (a resume) and the
        restored fade-in: a resume with a longer schedule (``--images-per-level``) lengthens the level, and must not
        reopen a fade-in that is over or move one under way (alpha is level_images / fade_images)."""
        if not 0 <= level < self.num_levels:
            raise ValueError(f"level must be in [0, {self.num_levels - 1}], got {level}")
        self.level.assign(level)
        self.level_length.assign(max(int(images), 1))
        if fresh:
            self.fade_images.assign(0 if level == 0 else int(fade_images))
            self.level_images.assign(0)
            self.alpha.assign(0.0 if level > 0 and fade_images > 0 else 1.0)
            if self.reset_optimizers:
                self.reset_optimizer_state()
        self.sync_level()

    def reset_optimizer_state(self) -> None:
        """Start both optimizers afresh (ProGAN's ``reset_opt_for_new_lod``): moments and iteration counts to 0,
        learning rates and a loss-scale factor kept. Without it the new level's layers, whose moments are still
        zero, would get Adam updates without bias correction (the iteration count is high): about
        1 / sqrt(1 - beta_2) times the learning rate, 10x with ProGAN's beta_2 = 0.99."""
        for attr in self.optimizer_targets():
            opt = getattr(self, attr)
            keep = {id(v) for v in (getattr(opt, "_learning_rate", None), getattr(opt, "dynamic_scale", None))
                    if v is not None}
            inner = getattr(opt, "inner_optimizer", None)
            if inner is not None and getattr(inner, "_learning_rate", None) is not None:
                keep.add(id(inner._learning_rate))
            for v in opt.variables:
                if id(v) not in keep:
                    v.assign(keras.ops.zeros(v.shape, v.dtype))

    def sync_level(self) -> None:
        """Make the Python-side level (the graph's shape) follow the ``level`` variable, e.g. after a restore."""
        level = int(self.level.numpy())
        if level != self.current_level or self.train_function is None:
            self.current_level = level
            self.train_function = None  # the step is traced again for the new resolution
            self.predict_function = None

    def resolution(self) -> int:
        return 4 * 2 ** self.current_level

    # -- override points -----------------------------------------------------------------------------------
    def sample_latent(self, batch_size):
        return keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)

    def sample_interpolation(self, batch_size):
        """Uniform [B, 1, 1, 1] weights of the gradient penalty's real/fake interpolation."""
        return keras.random.uniform((batch_size, 1, 1, 1), seed=self.seed_generator)

    def current_alpha(self):
        if self.current_level == 0:
            return tf.constant(1.0, tf.float32)
        fade = tf.cast(self.fade_images, tf.float32)
        ratio = tf.cast(self.level_images, tf.float32) / tf.maximum(fade, 1.0)
        return tf.where(fade > 0, tf.clip_by_value(ratio, 0.0, 1.0), 1.0)

    def process_reals(self, real, alpha):
        """The reals as the discriminator sees them: mirrored at random (``mirror_augment``), then faded like the
        generator's output during a fade-in (``fade_reals``; level 0 has no fade)."""
        if self.mirror_augment:
            flip = keras.random.uniform((tf.shape(real)[0], 1, 1, 1), seed=self.seed_generator) < 0.5
            real = tf.where(flip, tf.reverse(real, axis=[2]), real)
        if self.current_level > 0:
            real = fade_reals(real, alpha)
        return real

    def learning_rate_factor(self):
        progress = tf.cast(self.level_images, tf.float32) / tf.cast(self.level_length, tf.float32)
        return inverse_sigmoid_factor(tf.clip_by_value(progress, 0.0, 1.0), self.lr_sigmoid_slope)

    # -- the step ------------------------------------------------------------------------------------------
    def generate(self, z, alpha, training=True):
        return self.generator(z, level=self.current_level, alpha=alpha, training=training)

    def critic(self, images, alpha, training=True):
        return self.discriminator(images, alpha=alpha, training=training)

    @staticmethod
    def _apply_present(optimizer, tape, scaled_loss, variables):
        """Gradients of ``scaled_loss`` (``optimizer.scale_loss(loss)``, computed inside the tape so that loss
        scaling is recorded) applied to the variables the current level uses (the others get no gradient)."""
        grads = tape.gradient(scaled_loss, variables)
        optimizer.apply_gradients([(g, v) for g, v in zip(grads, variables) if g is not None])

    def discriminator_terms(self, real, fake, real_scores, fake_scores, alpha):
        """(per-example loss [B], per-example penalty [B]) in float32."""
        if self.loss == "wgan_gp":
            loss = adversarial.wasserstein_critic_loss(real_scores, fake_scores)
            loss = loss + self.drift_weight * drift_penalty(real_scores)
            critic = lambda x, training=True: self.critic(x, alpha, training)  # noqa: E731
            penalty = gradient_penalty(critic, real, fake, self.sample_interpolation(tf.shape(real)[0]),
                                       weight=self.gp_weight, loss_scale=self.loss_scale(self.d_optimizer))
            return loss, penalty
        loss = adversarial.bce_discriminator_loss(real_scores, fake_scores)
        if self.loss == "logistic_r1":
            critic = lambda x, training=True: self.critic(x, alpha, training)  # noqa: E731
            return loss, 0.5 * self.r1_gamma * r1_penalty(critic, real, self.loss_scale(self.d_optimizer))
        return loss, tf.zeros_like(loss)

    def generator_terms(self, fake_scores):
        if self.loss == "wgan_gp":
            return adversarial.wasserstein_generator_loss(fake_scores)
        return adversarial.bce_generator_loss(fake_scores)

    def train_step(self, data):
        real = data[0] if isinstance(data, (tuple, list)) else data
        expected = 4 * 2 ** self.current_level
        if real.shape[1] is not None and real.shape[1] != expected:
            raise ValueError(f"level {self.current_level} trains on {expected} px images, got a batch of shape "
                             f"{tuple(real.shape)}")
        batch = tf.shape(real)[0]
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        alpha = self.current_alpha()
        self.alpha.assign(alpha)
        factor = self.learning_rate_factor()
        for attr, base in self.base_learning_rates.items():
            getattr(self, attr).learning_rate = base * factor

        real = self.augment(self.process_reals(real, alpha))
        with tf.GradientTape() as tape:
            fake = self.augment(self.generate(self.sample_latent(batch), alpha))
            real_scores = self.critic(real, alpha)
            fake_scores = self.critic(fake, alpha)
            d_per, penalty = self.discriminator_terms(real, fake, real_scores, fake_scores, alpha)
            d_loss = self.reduce_loss(d_per + penalty)
            scaled = self.d_optimizer.scale_loss(d_loss)
        self._apply_present(self.d_optimizer, tape, scaled, self.discriminator.trainable_variables)
        self.observe_real_logits(real_scores)

        with tf.GradientTape() as tape:
            fake_scores_g = self.critic(self.augment(self.generate(self.sample_latent(batch), alpha)), alpha)
            g_loss = self.reduce_loss(self.generator_terms(fake_scores_g))
            scaled = self.g_optimizer.scale_loss(g_loss)
        self._apply_present(self.g_optimizer, tape, scaled, self.generator.trainable_variables)

        shown = tf.cast(batch * replicas, tf.int64)
        beta = ema_beta(shown, self.ema_half_life_images) if self.ema_half_life_images > 0 else self.ema_decay
        self.update_ema(beta)
        self.level_images.assign_add(shown)
        self.images_seen.assign_add(shown)
        self.steps_done.assign_add(1)

        self.trackers["d_loss"].update_state(d_loss * replicas)
        self.trackers["g_loss"].update_state(g_loss * replicas)
        self.trackers["penalty"].update_state(self.reduce_loss(penalty) * replicas)
        self.trackers["d_real"].update_state(tf.reduce_mean(tf.cast(real_scores, tf.float32)))
        self.trackers["d_fake"].update_state(tf.reduce_mean(tf.cast(fake_scores, tf.float32)))
        logs = {k: t.result() for k, t in self.trackers.items()}
        logs.update(level=tf.cast(self.level, tf.float32), alpha=alpha,
                    lr=tf.cast(self.base_learning_rates["g_optimizer"] * factor, tf.float32),
                    kimg=tf.cast(self.images_seen, tf.float32) / 1000.0, **self.augment_logs())
        return logs

    # -- sampling (the EMA generator: GeneratorEMAMixin) ---------------------------------------------------
    def sample(self, z, level=None, alpha=None, **kwargs):
        """Images [N, R, R, C] in about [-1, 1] from the EMA generator at ``level`` (default: the current one) and
        ``alpha`` (default: the current fade-in). Extra kwargs go to the generator (``truncation_psi``...)."""
        level = self.current_level if level is None else level
        alpha = float(self.alpha.numpy()) if alpha is None else alpha
        return self.sync_ema()(z, level=level, alpha=alpha, training=False, **kwargs)

    def call(self, z, training=False):
        return self.generator(z, level=self.current_level, alpha=self.alpha, training=training)

    def get_config(self):
        return {
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "loss": self.loss, "gp_weight": self.gp_weight, "drift_weight": self.drift_weight,
            "r1_gamma": self.r1_gamma, "ema_decay": self.ema_decay, "lr_sigmoid_slope": self.lr_sigmoid_slope,
            "seed": self.seed, "reset_optimizers": self.reset_optimizers,
            "ema_half_life_images": self.ema_half_life_images, "mirror_augment": self.mirror_augment, "name": self.name,
            **self.augment_config(),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["generator"] = keras.saving.deserialize_keras_object(config["generator"])
        config["discriminator"] = keras.saving.deserialize_keras_object(config["discriminator"])
        return cls(**cls.deserialize_augment(config))
