"""VAEGANTrainer (Larsen et al. 2016): a VAE whose reconstruction error is measured in a discriminator's
feature space, trained jointly with that discriminator; each part is updated only by its own losses."""

from __future__ import annotations

import keras
import tensorflow as tf

from zoo.layers.sampling import GaussianSampling
from zoo.losses import adversarial
from zoo.losses.vae import kl_divergence, summed_squared_error
from zoo.trainers.base import AutoencoderMixin, TrainerMixin, mean_trackers
from zoo.utils.random import ReplicaSeedGenerator, derive_seed


@keras.saving.register_keras_serializable(package="facezoo")
class VAEGANTrainer(AutoencoderMixin, TrainerMixin, keras.Model):
    """Trains ``encoder`` (images -> (mean, log_var)), ``decoder`` (z -> images) and ``discriminator`` (images ->
    (logits, features)), each with its own optimizer: ``compile(encoder_optimizer=, decoder_optimizer=,
    d_optimizer=)``.

    Per batch x, with x~ = Dec(z), z ~ q(z|x), and x_p = Dec(z_p), z_p ~ N(0, I):

    - similarity = summed squared error between Dis_l(x) and Dis_l(x~) (the discriminator's features);
    - encoder loss = KL(q(z|x) || N(0, I)) + similarity;
    - decoder loss = gamma * similarity + GAN loss (non-saturating: -log D(x~) - log D(x_p));
    - discriminator loss = -log D(x) - log(1 - D(x~)) - log(1 - D(x_p)).

    That is the paper's Algorithm 1 and the defaults. Larsen et al.'s CelebA code (``celeba_aegan.py``) differs in
    three switches, each an argument here: ``discriminate_reconstructions=False`` (D's fakes are the prior
    samples x_p only, and so are the decoder's GAN term and the balancing's fake cost; x~ still gives the
    similarity), ``real_weight=0.5`` (D's loss 0.5 * -log D(x) + 0.5 * the mean over its fake batches, see
    ``adversarial.weighted_discriminator_loss``; None is the plain sum above) and ``saturating_decoder_loss=True``
    (the decoder minimises log(1 - D(.)) instead of -log D(.)).

    All three gradients are taken at the same weights, then applied (Larsen et al.'s Algorithm 1). Logged
    separately: ``kl``, ``similarity``, ``g_loss`` (the decoder's GAN term), ``d_loss``.

    Equilibrium balancing (``margin``, as in Larsen et al.'s code, ``autoencoding_beyond_pixels``
    ``model/aegan.py``): with the discriminator's mean costs on real images, -log D(x), and on generated ones,
    -log(1 - D(.)), the discriminator is not updated in a step where either cost is below ``equilibrium - margin``
    (it is winning), the decoder is not updated where either is above ``equilibrium + margin`` (it is losing);
    if both would be skipped, both are updated. The encoder is always updated. A skipped part's optimizer state
    does not move. ``margin=None`` updates every part at every step. Logged: ``d_updated`` and ``dec_updated``,
    the fraction of steps in which each part was updated.
    """

    def __init__(self, encoder, decoder, discriminator, gamma: float = 15.0, seed: int = 0,
                 margin: float | None = None, equilibrium: float = 0.68, discriminate_reconstructions: bool = True,
                 real_weight: float | None = None, saturating_decoder_loss: bool = False, **kwargs):
        super().__init__(**kwargs)
        if gamma < 0:
            raise ValueError(f"gamma must be >= 0, got {gamma}")
        if encoder.latent_dim != decoder.latent_dim:
            raise ValueError(f"encoder latent_dim {encoder.latent_dim} != decoder latent_dim {decoder.latent_dim}")
        self.encoder, self.decoder, self.discriminator = encoder, decoder, discriminator
        if margin is not None and margin < 0:
            raise ValueError(f"margin must be >= 0 or None (no balancing), got {margin}")
        self.gamma, self.seed = float(gamma), seed
        self.margin, self.equilibrium = (None if margin is None else float(margin)), float(equilibrium)
        if real_weight is not None and not 0.0 < real_weight < 1.0:
            raise ValueError(f"real_weight must be in (0, 1) or None (the plain sum), got {real_weight}")
        self.discriminate_reconstructions = bool(discriminate_reconstructions)
        self.real_weight = None if real_weight is None else float(real_weight)
        self.saturating_decoder_loss = bool(saturating_decoder_loss)
        self.latent_dim = decoder.latent_dim
        self.sampling = GaussianSampling(derive_seed(seed, "posterior"), name="sampling")
        self.seed_generator = ReplicaSeedGenerator(derive_seed(seed, "prior"), name="seed_generator")
        self.trackers = mean_trackers("kl", "similarity", "g_loss", "d_loss", "d_updated", "dec_updated")

    def compile(self, encoder_optimizer, decoder_optimizer, d_optimizer, **kwargs):
        super().compile(**kwargs)
        self.encoder_optimizer, self.decoder_optimizer, self.d_optimizer = (encoder_optimizer, decoder_optimizer,
                                                                            d_optimizer)

    def optimizer_targets(self):
        return {"encoder_optimizer": self.encoder, "decoder_optimizer": self.decoder,
                "d_optimizer": self.discriminator}

    def compute_losses(self, images, training=True):
        """The three parts' losses (scalars, reduced over the global batch) and the logged terms."""
        mean, log_var = self.encoder(images, training=training)
        z = self.sampling(mean, log_var)
        z_prior = keras.random.normal(tf.shape(mean), seed=self.seed_generator)
        recon = self.decoder(z, training=training)
        prior_images = self.decoder(z_prior, training=training)
        # One discriminator call on all three batches: its batch norms see them with the same statistics.
        logits, features = self.discriminator(
            tf.concat([images, tf.cast(recon, images.dtype), tf.cast(prior_images, images.dtype)], axis=0),
            training=training)
        real_logits, recon_logits, prior_logits = tf.split(logits, 3)
        real_features, recon_features, _ = tf.split(features, 3)
        kl = self.reduce_loss(kl_divergence(mean, log_var))
        similarity = self.reduce_loss(summed_squared_error(real_features, recon_features))
        shown = [recon_logits, prior_logits] if self.discriminate_reconstructions else [prior_logits]
        decoder_gan = (adversarial.saturating_generator_loss if self.saturating_decoder_loss
                       else adversarial.bce_generator_loss)
        g_loss = self.reduce_loss(tf.add_n([decoder_gan(logits) for logits in shown]))
        d_loss = self.reduce_loss(adversarial.weighted_discriminator_loss(real_logits, shown, self.real_weight))
        # The balancing's costs: -log D(x) over the real images, -log(1 - D(.)) = softplus over the generated ones
        # D is shown (a mean over them all, as their code's).
        real_cost = self.reduce_loss(tf.nn.softplus(-tf.reshape(tf.cast(real_logits, tf.float32), [-1])))
        fake_logits = tf.cast(tf.concat(shown, axis=0), tf.float32)
        fake_cost = self.reduce_loss(tf.nn.softplus(tf.reshape(fake_logits, [-1])))  # divided by all k x B of them
        return {"encoder": kl + similarity, "decoder": self.gamma * similarity + g_loss, "discriminator": d_loss,
                "kl": kl, "similarity": similarity, "g_loss": g_loss, "d_loss": d_loss,
                "real_cost": real_cost, "fake_cost": fake_cost}

    def balance(self, real_cost, fake_cost):
        """(update the discriminator, update the decoder) for this step's costs: Larsen et al.'s rule."""
        if self.margin is None:
            return tf.constant(True), tf.constant(True)
        low, high = self.equilibrium - self.margin, self.equilibrium + self.margin
        d_update = tf.logical_not(tf.logical_or(real_cost < low, fake_cost < low))
        dec_update = tf.logical_not(tf.logical_or(real_cost > high, fake_cost > high))
        neither = tf.logical_not(tf.logical_or(d_update, dec_update))
        return tf.logical_or(d_update, neither), tf.logical_or(dec_update, neither)

    def completed_steps(self) -> int:
        """Steps done: the encoder's optimizer, the one updated at every step (balancing may skip the others)."""
        return int(self.encoder_optimizer.iterations.numpy())

    def train_step(self, data):
        images = data[0] if isinstance(data, (tuple, list)) else data
        with tf.GradientTape(persistent=True) as tape:
            losses = self.compute_losses(images)
        # Every gradient is taken before any update, each part's only from its own loss.
        enc = tape.gradient(self.encoder_optimizer.scale_loss(losses["encoder"]), self.encoder.trainable_variables)
        dec = tape.gradient(self.decoder_optimizer.scale_loss(losses["decoder"]), self.decoder.trainable_variables)
        dis = tape.gradient(self.d_optimizer.scale_loss(losses["discriminator"]),
                            self.discriminator.trainable_variables)
        del tape
        # The costs are global-batch means (summed over replicas), so every replica takes the same branch.
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        ctx = tf.distribute.get_replica_context()
        costs = tf.stack([losses["real_cost"], losses["fake_cost"]])
        costs = ctx.all_reduce("sum", costs) if ctx is not None and replicas > 1 else costs
        d_update, dec_update = self.balance(costs[0], costs[1])
        self.encoder_optimizer.apply_gradients(zip(enc, self.encoder.trainable_variables))
        apply_if(dec_update, self.decoder_optimizer, dec, self.decoder.trainable_variables)
        apply_if(d_update, self.d_optimizer, dis, self.discriminator.trainable_variables)
        losses["d_updated"] = tf.cast(d_update, tf.float32) / replicas
        losses["dec_updated"] = tf.cast(dec_update, tf.float32) / replicas
        for name, tracker in self.trackers.items():
            tracker.update_state(losses[name] * replicas)
        return {k: t.result() for k, t in self.trackers.items()}

    def get_config(self):
        return {"encoder": keras.saving.serialize_keras_object(self.encoder),
                "decoder": keras.saving.serialize_keras_object(self.decoder),
                "discriminator": keras.saving.serialize_keras_object(self.discriminator),
                "gamma": self.gamma, "seed": self.seed, "margin": self.margin, "equilibrium": self.equilibrium,
                "discriminate_reconstructions": self.discriminate_reconstructions, "real_weight": self.real_weight,
                "saturating_decoder_loss": self.saturating_decoder_loss, "name": self.name}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for k in ("encoder", "decoder", "discriminator"):
            config[k] = keras.saving.deserialize_keras_object(config[k])
        return cls(**config)


def apply_if(condition, optimizer, grads, variables):
    """``optimizer.apply_gradients`` only where ``condition`` (a scalar bool tensor) holds; otherwise neither the
    variables nor the optimizer's state (its iteration count included) move."""
    def update():
        optimizer.apply_gradients(zip(grads, variables))
        return tf.constant(True)

    return tf.cond(condition, update, lambda: tf.constant(False))
