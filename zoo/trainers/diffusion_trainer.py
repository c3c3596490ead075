"""DiffusionTrainer: trains a U-Net to separate noisy images into image and noise (keras.io DDIM's train_step)."""

from __future__ import annotations

import keras
import tensorflow as tf

from zoo.models.diffusion import schedule as sched
from zoo.trainers.base import TrainerMixin, mean_trackers
from zoo.utils.random import ReplicaSeedGenerator, derive_seed

LOSSES = ("mae", "mse")


@keras.saving.register_keras_serializable(package="facezoo")
class DiffusionTrainer(TrainerMixin, keras.Model):
    """Trains ``denoiser`` (a ``UNetDenoiser``); ``generator`` (a ``DDIMSampler``) holds the EMA copy of it that
    samples, evaluation, presets and export use, with the training images' per-channel statistics.

    Each step: images normalised, diffusion times t ~ U(0, 1) and noise eps ~ N(0, I) per image, noisy images
    ``signal(t) x + noise(t) eps``; the loss is the mean ``loss`` (``mae``, the reference's, or ``mse``) between the
    network's output and its target (eps, or v with ``generator.prediction == "velocity"``). ``image_loss`` (the
    same error on the implied image) is logged too. After each update, every weight of the EMA copy (batch-norm
    statistics included, as the reference) becomes ``ema * copy + (1 - ema) * weight``.
    ``ema_warmup``: the decay at step t is ``min(ema, (1 + t) / (10 + t))`` (diffusers' ``EMAModel`` default; not in
    the reference): with a fixed 0.999 the copy still holds 0.999 ** t of the initial network, whose zero head
    predicts no noise, so its samples stay noise for the first few thousand steps.
    ``mirror_augment``: each training image flipped left-right with probability 1/2 (not in the reference, which
    notes that flips help; they do not leak into samples). Call ``set_pixel_statistics(mean, std)`` before
    training (the reference adapts its normaliser on the data).
    """

    def __init__(self, denoiser, generator, loss: str = "mae", ema: float = 0.999, mirror_augment: bool = False,
                 ema_warmup: bool = False, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        if loss not in LOSSES:
            raise ValueError(f"unknown loss {loss!r}; expected one of {LOSSES}")
        if not 0 <= ema < 1:
            raise ValueError(f"ema must be in [0, 1), got {ema}")
        if denoiser.get_config() | {"name": ""} != generator.denoiser.get_config() | {"name": ""}:
            raise ValueError("the generator's denoiser must have the trained denoiser's architecture")
        self.denoiser, self.generator, self.loss_name, self.ema, self.seed = denoiser, generator, loss, float(ema), seed
        self.latent_dim, self.mirror_augment = generator.latent_dim, bool(mirror_augment)
        self.ema_warmup = bool(ema_warmup)
        self.seed_generator = ReplicaSeedGenerator(derive_seed(seed, "diffusion"), name="seed_generator")
        self.trackers = mean_trackers("loss", "image_loss")
        if not self.denoiser.built:
            self.denoiser.build(self.denoiser.input_shapes())
        if not self.generator.built:
            self.generator.build((None, self.latent_dim))
        for e, w in zip(self.generator.denoiser.weights, self.denoiser.weights):
            e.assign(w)  # the EMA starts at the network's initial weights

    def compile(self, denoiser_optimizer, **kwargs):
        super().compile(**kwargs)
        self.denoiser_optimizer = denoiser_optimizer

    def optimizer_targets(self):
        return {"denoiser_optimizer": self.denoiser}

    def part_input_shape(self, model):
        return None

    def set_pixel_statistics(self, mean, std) -> None:
        """Per-channel mean and standard deviation [C] of the training images in [-1, 1]."""
        self.generator.pixel_mean.assign(tf.cast(mean, tf.float32))
        self.generator.pixel_std.assign(tf.maximum(tf.cast(std, tf.float32), 1e-3))

    def per_example_losses(self, images, training=True):
        """{"loss": [B], "image_loss": [B]} for images [B, S, S, C] in [-1, 1] (fresh times and noise)."""
        gen = self.generator
        x = gen.normalize(images)
        batch = tf.shape(x)[0]
        if self.mirror_augment:
            flip = keras.random.uniform((batch, 1, 1, 1), seed=self.seed_generator) < 0.5
            x = tf.where(flip, tf.reverse(x, axis=[2]), x)
        noises = keras.random.normal(tf.shape(x), seed=self.seed_generator)
        times = keras.random.uniform((batch, 1, 1, 1), seed=self.seed_generator)
        noise_rates, signal_rates = gen.schedule(times)
        noisy = signal_rates * x + noise_rates * noises
        output = tf.cast(self.denoiser([noisy, noise_rates ** 2], training=training), tf.float32)
        target = sched.training_target(gen.prediction, x, noises, noise_rates, signal_rates)
        _, pred_images = sched.split_prediction(gen.prediction, output, noisy, noise_rates, signal_rates)
        error = tf.abs if self.loss_name == "mae" else tf.square
        return {"loss": tf.reduce_mean(error(output - target), axis=[1, 2, 3]),
                "image_loss": tf.reduce_mean(error(pred_images - x), axis=[1, 2, 3])}

    def train_step(self, data):
        images = data[0] if isinstance(data, (tuple, list)) else data
        variables = self.denoiser.trainable_variables
        with tf.GradientTape() as tape:
            per_example = self.per_example_losses(images)
            loss = self.reduce_loss(per_example["loss"])
        self.apply(self.denoiser_optimizer, tape, loss, variables)
        decay = tf.constant(self.ema, tf.float32)
        if self.ema_warmup:  # the optimizer's count after this update: 1 at the first step
            t = tf.cast(self.denoiser_optimizer.iterations, tf.float32)
            decay = tf.minimum(decay, t / (9.0 + t))
        for e, w in zip(self.generator.denoiser.weights, self.denoiser.weights):
            e.assign(tf.cast(decay, e.dtype) * e + tf.cast(1.0 - decay, e.dtype) * tf.cast(w, e.dtype))
        for name, tracker in self.trackers.items():
            tracker.update_state(tf.reduce_mean(per_example[name]))
        return {k: t.result() for k, t in self.trackers.items()}

    @property
    def raw_generator(self):
        """A sampler with the trained network's own weights, not the EMA copy's (``make_preset --part
        raw_generator``): for a run too short for its EMA to have left the initial network behind."""
        from zoo.models.diffusion import DDIMSampler

        sampler = DDIMSampler.from_config(self.generator.get_config())
        sampler.build((None, self.latent_dim))
        for target, source in zip(sampler.denoiser.weights, self.denoiser.weights):
            target.assign(source)
        sampler.pixel_mean.assign(self.generator.pixel_mean)
        sampler.pixel_std.assign(self.generator.pixel_std)
        return sampler

    def call(self, z, training=False):
        return self.generator(z, training=training)

    def sample(self, z):
        """Images [N, S, S, C] in [-1, 1] for z [N, latent_dim]: DDIM with the EMA weights."""
        return self.generator(z, training=False)

    def get_config(self):
        return {"denoiser": keras.saving.serialize_keras_object(self.denoiser),
                "generator": keras.saving.serialize_keras_object(self.generator),
                "loss": self.loss_name, "ema": self.ema, "mirror_augment": self.mirror_augment, "ema_warmup": self.ema_warmup, "seed": self.seed, "name": self.name}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["denoiser"] = keras.saving.deserialize_keras_object(config["denoiser"])
        config["generator"] = keras.saving.deserialize_keras_object(config["generator"])
        return cls(**config)
