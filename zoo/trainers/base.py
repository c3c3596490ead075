"""What every trainer shares: loss reduction over the global batch, optimizer building, checkpoint variables."""

from __future__ import annotations

import keras
import tensorflow as tf


class TrainerMixin:
    """Helpers for ``keras.Model`` trainers with several optimizers and their own ``train_step``.

    A trainer lists its parts in ``optimizer_targets()`` as ``{optimizer attribute: model}``; the training loop
    builds every optimizer up front (so a checkpoint holds all their state from step 0) and checkpoints
    ``checkpoint_variables()``.
    """

    def optimizer_targets(self) -> dict:
        raise NotImplementedError

    def get_compile_config(self):
        # Optimizers are rebuilt by the recipe; a reloaded trainer is for inference or a fresh compile().
        return None

    @property
    def metrics(self):
        """The trainer's ``self.trackers`` ({name: keras.metrics.Mean}), reset by fit at each epoch."""
        return list(self.trackers.values())

    def build_all(self) -> None:
        """Build every sub-model and optimizer, so that variables exist before a checkpoint is restored."""
        for attr, model in self.optimizer_targets().items():
            if not model.built:
                model.build(self.part_input_shape(model))
            opt = getattr(self, attr)
            if not opt.built:
                opt.build(model.trainable_variables)
        self.built = True

    def completed_steps(self) -> int:
        """Training steps done so far: the iteration count of the optimizer updated last in each step."""
        return int(getattr(self, list(self.optimizer_targets())[-1]).iterations.numpy())

    def part_input_shape(self, model) -> tuple:
        raise NotImplementedError

    def checkpoint_variables(self) -> dict[str, list]:
        """{group: [variables]} in a deterministic order: the model's state and each optimizer's."""
        out = {"model": list(self.variables)}
        for attr in self.optimizer_targets():
            out[attr] = list(getattr(self, attr).variables)
        return out

    @staticmethod
    def reduce_loss(per_example):
        """Sum of a per-example loss [B] divided by the global batch (B x replicas), as tf.distribute expects."""
        per_example = tf.cast(per_example, tf.float32)
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        global_batch = tf.cast(tf.shape(per_example)[0] * replicas, tf.float32)
        return tf.reduce_sum(per_example) / global_batch

    @staticmethod
    def loss_scale(optimizer):
        """The optimizer's loss scale now, a float32 scalar: ``LossScaleOptimizer``'s dynamic scale under
        mixed_float16, 1 otherwise. Outer losses are multiplied by it (``apply``) and so are the inner gradients of
        the penalties (gradient penalty, R1), which divide it out: a float16 backward pass would flush small
        gradients to zero without it."""
        return tf.cast(optimizer.scale_loss(tf.constant(1.0, tf.float32)), tf.float32)

    @staticmethod
    def apply(optimizer, tape, loss, variables):
        """Gradients of ``loss`` applied to ``variables``; under loss scaling the gradients are of the scaled loss.

        The scale enters as the tape's output gradient, so ``loss`` may be the value recorded inside the tape
        (scaling it after the tape closed would cut it off the tape: every gradient would be None).
        """
        loss = tf.convert_to_tensor(loss)
        scale = tf.cast(TrainerMixin.loss_scale(optimizer), loss.dtype)
        grads = tape.gradient(loss, variables, output_gradients=scale)
        missing = [v.path for v, g in zip(variables, grads) if g is None]
        if missing:
            raise ValueError(f"no gradient reaches {missing[:3]}{'...' if len(missing) > 3 else ''}: is the loss "
                             f"computed from these variables inside the tape?")
        optimizer.apply_gradients(zip(grads, variables))
        return grads


class AdversarialMixin:
    """The parts of a trainer with a ``generator`` and a ``discriminator`` and their two optimizers."""

    def optimizer_targets(self):
        # The generator's optimizer last: it steps once per train step, whatever n_critic is, so its iteration
        # count is the step count (the critic's, n_critic per step, would stop the loop n_critic times too early).
        return {"d_optimizer": self.discriminator, "g_optimizer": self.generator}


class AugmentMixin:
    """The one hook through which a GAN trainer's discriminator sees images: ``augment(images)`` on every batch
    before every discriminator call (reals and fakes, discriminator and generator steps), ``observe_real_logits``
    with its logits on the reals of each discriminator update, ``augment_logs`` merged into the step's logs.
    ``self.augmenter`` None (the default) returns the images themselves: the step is the one without the hook."""

    augmenter = None

    def augment(self, images):
        return images if self.augmenter is None else self.augmenter.augment(images)

    def observe_real_logits(self, real_logits) -> None:
        if self.augmenter is not None:
            self.augmenter.observe(real_logits)

    def augment_logs(self) -> dict:
        return {} if self.augmenter is None else self.augmenter.logs()

    def augment_config(self) -> dict:
        """``{"augment": serialized augmenter}``, or nothing without one (configs as before the hook existed)."""
        return {} if self.augmenter is None else {"augment": keras.saving.serialize_keras_object(self.augmenter)}

    @staticmethod
    def deserialize_augment(config: dict) -> dict:
        if config.get("augment") is not None:
            config["augment"] = keras.saving.deserialize_keras_object(config["augment"])
        return config


class AutoencoderMixin:
    """What the VAE-style trainers share: an ``encoder`` (images -> (mean, log_var)), a ``decoder`` (z -> images)
    and image-shaped other parts; ``call`` and ``reconstruct`` decode the posterior mean."""

    def part_input_shape(self, model) -> tuple:
        if model is self.decoder:
            return (None, self.latent_dim)
        return (None, model.image_size, model.image_size, model.channels)

    def call(self, images, training=False):
        mean, _ = self.encoder(images, training=training)
        return self.decoder(mean, training=training)

    def reconstruct(self, images):
        """Deterministic reconstructions (decoder of the posterior mean), images in [-1, 1]."""
        return self(images, training=False)


def mean_trackers(*names):
    return {n: keras.metrics.Mean(name=n) for n in names}
