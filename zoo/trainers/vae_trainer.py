"""VAETrainer: encoder -> reparameterised sample -> decoder, trained on reconstruction + beta * KL."""

from __future__ import annotations

import keras
import tensorflow as tf

from zoo.layers.sampling import GaussianSampling
from zoo.losses.vae import kl_divergence, reconstruction_loss
from zoo.trainers.base import AutoencoderMixin, TrainerMixin, mean_trackers
from zoo.utils.random import derive_seed


@keras.saving.register_keras_serializable(package="facezoo")
class VAETrainer(AutoencoderMixin, TrainerMixin, keras.Model):
    """Trains ``encoder`` (images -> (mean, log_var)) and ``decoder`` (z -> images in [-1, 1]).

    Per example: ``recon_weight * summed squared error`` (on [0, 1] pixels) ``+ beta * KL(q(z|x) || N(0, I))``.
    With a feature-consistent loss (e.g. ``zoo.losses.perceptual.VGG19FeatureLoss``) the loss is Hou et al.'s
    DFC-VAE: ``beta * KL + feature_weight * feature_loss(x, x_hat)`` (their alpha 1, beta 0.5), the feature term
    IN PLACE of the pixel error; ``pixel_loss=True`` keeps the pixel term as well (without a feature loss it is
    always on). The pixel error is logged either way. ``compile(encoder_optimizer=, decoder_optimizer=)``:
    one optimizer per part with the same settings is the same as one optimizer over both (Adam and RMSprop are
    per-parameter). Logged separately: ``loss``, ``reconstruction``, ``kl`` (and ``feature``).
    ``call(images)`` reconstructs from the posterior mean.
    """

    def __init__(self, encoder, decoder, beta: float = 1.0, recon_weight: float = 1.0, seed: int = 0,
                 feature_loss=None, feature_weight: float = 0.0, pixel_loss: bool | None = None, **kwargs):
        super().__init__(**kwargs)
        if beta < 0 or recon_weight < 0 or feature_weight < 0:
            raise ValueError(f"beta, recon_weight and feature_weight must be >= 0, got {beta}, {recon_weight}, "
                             f"{feature_weight}")
        if feature_weight > 0 and feature_loss is None:
            raise ValueError("feature_weight > 0 needs a feature_loss (e.g. VGG19FeatureLoss(weights_path))")
        if encoder.latent_dim != decoder.latent_dim:
            raise ValueError(f"encoder latent_dim {encoder.latent_dim} != decoder latent_dim {decoder.latent_dim}")
        self.pixel_loss = pixel_loss
        # Without a feature loss (also a reloaded trainer: the VGG is not saved) the pixel term always counts.
        self.use_pixel_loss = feature_loss is None or bool(pixel_loss)
        self.encoder, self.decoder, self.seed = encoder, decoder, seed
        self.beta, self.recon_weight = float(beta), float(recon_weight)
        self.feature_loss, self.feature_weight = feature_loss, float(feature_weight)
        self.latent_dim = decoder.latent_dim
        self.sampling = GaussianSampling(derive_seed(seed, "posterior"), name="sampling")
        names = ["loss", "reconstruction", "kl"] + (["feature"] if feature_loss is not None else [])
        self.trackers = mean_trackers(*names)

    def compile(self, encoder_optimizer, decoder_optimizer, **kwargs):
        super().compile(**kwargs)
        self.encoder_optimizer, self.decoder_optimizer = encoder_optimizer, decoder_optimizer

    def optimizer_targets(self):
        return {"encoder_optimizer": self.encoder, "decoder_optimizer": self.decoder}

    def compute_losses(self, images, training=True):
        """Per-example losses {name: [B]} for a batch of images in [-1, 1]."""
        mean, log_var = self.encoder(images, training=training)
        z = self.sampling(mean, log_var)
        recon = self.decoder(z, training=training)
        out = {"reconstruction": reconstruction_loss(images, recon), "kl": kl_divergence(mean, log_var)}
        total = self.beta * out["kl"]
        if self.use_pixel_loss:
            total = total + self.recon_weight * out["reconstruction"]
        if self.feature_loss is not None:
            out["feature"] = self.feature_loss(images, recon)
            total = total + self.feature_weight * out["feature"]
        out["loss"] = total
        return out

    def train_step(self, data):
        images = data[0] if isinstance(data, (tuple, list)) else data
        enc_vars, dec_vars = self.encoder.trainable_variables, self.decoder.trainable_variables
        scaling = any(isinstance(o, keras.optimizers.LossScaleOptimizer)
                      for o in (self.encoder_optimizer, self.decoder_optimizer))
        with tf.GradientTape(persistent=scaling) as tape:
            per_example = self.compute_losses(images)
            loss = self.reduce_loss(per_example["loss"])
        if scaling:  # each optimizer scales (and unscales) the loss with its own factor
            self.apply(self.encoder_optimizer, tape, loss, enc_vars)
            self.apply(self.decoder_optimizer, tape, loss, dec_vars)
            del tape
        else:  # one backward pass for both parts
            grads = tape.gradient(loss, enc_vars + dec_vars)
            self.encoder_optimizer.apply_gradients(zip(grads[:len(enc_vars)], enc_vars))
            self.decoder_optimizer.apply_gradients(zip(grads[len(enc_vars):], dec_vars))
        for name, tracker in self.trackers.items():
            tracker.update_state(tf.reduce_mean(tf.cast(per_example[name], tf.float32)))
        return {k: t.result() for k, t in self.trackers.items()}

    def get_config(self):
        # The feature loss (a frozen VGG19) is not part of the saved trainer: pass it again when training on.
        return {"encoder": keras.saving.serialize_keras_object(self.encoder),
                "decoder": keras.saving.serialize_keras_object(self.decoder),
                "beta": self.beta, "recon_weight": self.recon_weight, "seed": self.seed, "pixel_loss": self.pixel_loss,
                "name": self.name}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["encoder"] = keras.saving.deserialize_keras_object(config["encoder"])
        config["decoder"] = keras.saving.deserialize_keras_object(config["decoder"])
        return cls(**config)
