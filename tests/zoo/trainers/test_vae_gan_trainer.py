import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.zoo.trainers._family import assert_reloads, images
from zoo.models.vae import DFCVAEDecoder, DFCVAEEncoder
from zoo.models.vae_gan import VAEGANDiscriminator
from zoo.trainers import VAEGANTrainer

LR = 0.1


def make(lr=LR, gamma=15.0):
    t = VAEGANTrainer(DFCVAEEncoder(16, 3, 8, 4), DFCVAEDecoder(8, 16, 3, 4), VAEGANDiscriminator(16, 3, 4, 8),
                      gamma=gamma, seed=4)
    t.compile(encoder_optimizer=keras.optimizers.SGD(lr), decoder_optimizer=keras.optimizers.SGD(lr),
              d_optimizer=keras.optimizers.SGD(lr), jit_compile=False)
    t.build_all()
    return t


def test_each_part_changes_only_through_its_own_loss_then_trains_and_reloads(tmp_path):
    t = make()
    x = images()
    parts = {"encoder": t.encoder, "decoder": t.decoder, "discriminator": t.discriminator}
    before = {k: [np.array(v) for v in m.trainable_variables] for k, m in parts.items()}
    seeds = [np.array(s.state) for s in (t.sampling.seed_generator, t.seed_generator)]
    with tf.GradientTape(persistent=True) as tape:  # the same forward pass (same noise) as the step below
        losses = t.compute_losses(x)
    grads = {(part, loss): tape.gradient(losses[loss], parts[part].trainable_variables)
             for part in parts for loss in ("encoder", "decoder", "discriminator")}
    for s, v in zip((t.sampling.seed_generator, t.seed_generator), seeds):
        s.state.assign(v)
    t.train_step(x)
    for part, model in parts.items():
        own = grads[(part, part)]
        for v0, v, g in zip(before[part], model.trainable_variables, own):
            np.testing.assert_allclose(np.asarray(v), v0 - LR * np.asarray(g), atol=2e-5, err_msg=f"{part} {v.path}")
    # The other losses do reach these parts, so leaving them out is a real choice the step makes:
    norm = lambda gs: sum(float(tf.reduce_sum(tf.square(g))) for g in gs if g is not None)  # noqa: E731
    assert norm(grads[("encoder", "decoder")]) > 0  # the GAN loss reaches the encoder through x~
    assert norm(grads[("decoder", "discriminator")]) > 0
    assert norm(grads[("discriminator", "decoder")]) > 0  # similarity + GAN reach the discriminator
    assert norm(grads[("encoder", "discriminator")]) > 0
    t.d_optimizer.learning_rate.assign(1e-3)
    t.encoder_optimizer.learning_rate.assign(1e-3)
    t.decoder_optimizer.learning_rate.assign(1e-3)
    logs = {k: float(v) for k, v in t.train_step(x).items()}
    assert set(logs) == {"kl", "similarity", "g_loss", "d_loss", "d_updated", "dec_updated"} and all(np.isfinite(v) for v in logs.values())
    assert t.completed_steps() == 2
    assert_reloads(t, tmp_path, lambda m: m.reconstruct(x))


def test_the_discriminator_sees_real_reconstructed_and_prior_images_in_one_batch():
    # Its batch norms must normalise x, x~ and x_p with the same statistics (as for the GANs' score norm).
    class CountingDiscriminator(VAEGANDiscriminator):
        batches: list = []

        def call(self, images, training=False):
            self.batches.append(int(images.shape[0]))
            return super().call(images, training=training)

    t = VAEGANTrainer(DFCVAEEncoder(16, 3, 8, 4), DFCVAEDecoder(8, 16, 3, 4), CountingDiscriminator(16, 3, 4, 8))
    t.discriminator.build((None, 16, 16, 3))
    CountingDiscriminator.batches.clear()
    losses = t.compute_losses(images(n=4))
    assert CountingDiscriminator.batches == [12]  # one call on the 3 x 4 images
    assert all(np.isfinite(float(losses[k])) for k in ("kl", "similarity", "g_loss", "d_loss"))


def balanced():
    """A trainer with Larsen et al.'s balancing (margin 0.35 around 0.68)."""
    t = make(lr=1e-3)
    t.margin = 0.35
    return t


def snapshot(t):
    return {name: [np.array(v) for v in opt.variables] + [np.array(v) for v in model.trainable_variables]
            for name, (opt, model) in {"decoder": (t.decoder_optimizer, t.decoder),
                                       "discriminator": (t.d_optimizer, t.discriminator),
                                       "encoder": (t.encoder_optimizer, t.encoder)}.items()}


def moved(before, after):
    return {k: any(not np.array_equal(a, b) for a, b in zip(before[k], after[k])) for k in before}


def test_balancing_skips_a_winning_discriminator_and_a_decoder_that_is_losing():
    t = balanced()
    d, dec = t.balance(tf.constant(0.1), tf.constant(0.2))  # D winning: both costs below 0.33
    assert (bool(d), bool(dec)) == (False, True)
    d, dec = t.balance(tf.constant(1.5), tf.constant(0.7))  # D losing on the real images
    assert (bool(d), bool(dec)) == (True, False)
    d, dec = t.balance(tf.constant(0.1), tf.constant(1.5))  # both rules fire: update both
    assert (bool(d), bool(dec)) == (True, True)
    t.margin = None
    assert tuple(bool(b) for b in t.balance(tf.constant(0.1), tf.constant(0.1))) == (True, True)


def test_a_skipped_part_keeps_its_weights_and_optimizer_state_and_the_step_count_goes_on():
    x = images()
    t = balanced()
    costs = t.compute_losses(x, training=False)
    # Put the equilibrium where this discriminator's costs make it "winning": both costs < equilibrium - margin.
    t.equilibrium = max(float(costs["real_cost"]), float(costs["fake_cost"])) + 0.35 + 0.3
    t.margin = 0.35
    before = snapshot(t)
    logs = {k: float(v) for k, v in t.train_step(x).items()}
    change = moved(before, snapshot(t))
    assert change == {"decoder": True, "discriminator": False, "encoder": True}
    assert logs["d_updated"] == 0.0 and logs["dec_updated"] == 1.0
    assert t.completed_steps() == 1 and int(t.d_optimizer.iterations.numpy()) == 0
    # With the equilibrium far below the costs the decoder is "losing" and only D (and the encoder) move.
    t.equilibrium = min(float(costs["real_cost"]), float(costs["fake_cost"])) - 0.35 - 0.3
    before = snapshot(t)
    t.train_step(x)
    assert moved(before, snapshot(t)) == {"decoder": False, "discriminator": True, "encoder": True}
    assert t.completed_steps() == 2 and int(t.decoder_optimizer.iterations.numpy()) == 1


@keras.saving.register_keras_serializable(package="facezoo_tests")
class FixedLogits(keras.Model):
    """A discriminator stand-in for the loss math: logits 0 on the reals (D = 1/2), ln 3 on the reconstructions
    (D = 3/4) and -ln 3 on the prior samples (D = 1/4), whatever the images; features from the images."""

    def call(self, images, training=False):
        n = tf.shape(images)[0] // 3
        ln3 = float(np.log(3.0))
        logits = tf.concat([tf.fill([n, 1], 0.0), tf.fill([n, 1], ln3), tf.fill([n, 1], -ln3)], 0)
        return tf.cast(logits, tf.float32), tf.reshape(images, [tf.shape(images)[0], -1])[:, :4]


LN2, LN3, LN4 = np.log(2.0), np.log(3.0), np.log(4.0)


@pytest.mark.parametrize("flags, d_loss, g_loss, fake_cost", [
    # the default (Larsen et al.'s Algorithm 1): D sees x~ and x_p, plain sum, non-saturating decoder loss
    ({}, LN2 + LN4 + (LN4 - LN3), (LN4 - LN3) + LN4, (LN4 + LN4 - LN3) / 2),
    # x~ not shown to D: it drops out of D's loss, the decoder's GAN term and the fake cost
    ({"discriminate_reconstructions": False}, LN2 + (LN4 - LN3), LN4, LN4 - LN3),
    # real : generated = 0.5 : 0.5 (with x~ shown, each fake batch weighs 0.25)
    ({"real_weight": 0.5}, 0.5 * LN2 + 0.25 * (LN4 + LN4 - LN3), (LN4 - LN3) + LN4, (LN4 + LN4 - LN3) / 2),
    # saturating decoder loss: log(1 - D) summed over the fakes D sees
    ({"saturating_decoder_loss": True}, LN2 + LN4 + (LN4 - LN3), -LN4 - (LN4 - LN3), (LN4 + LN4 - LN3) / 2),
    # the reference code's CelebA set-up: all three
    ({"discriminate_reconstructions": False, "real_weight": 0.5, "saturating_decoder_loss": True},
     0.5 * LN2 + 0.5 * (LN4 - LN3), -(LN4 - LN3), LN4 - LN3),
])
def test_discriminator_decoder_and_balancing_losses_follow_the_set_up_flags(flags, d_loss, g_loss, fake_cost):
    t = VAEGANTrainer(DFCVAEEncoder(16, 3, 8, 4), DFCVAEDecoder(8, 16, 3, 4), FixedLogits(), seed=1, **flags)
    losses = {k: float(v) for k, v in t.compute_losses(images(n=2)).items()}
    np.testing.assert_allclose([losses["d_loss"], losses["g_loss"], losses["fake_cost"], losses["real_cost"]],
                               [d_loss, g_loss, fake_cost, LN2], rtol=1e-5)
    assert losses["decoder"] == pytest.approx(15.0 * losses["similarity"] + losses["g_loss"], rel=1e-6)
    assert losses["discriminator"] == losses["d_loss"]
    reloaded = VAEGANTrainer.from_config(t.get_config())
    assert {k: getattr(reloaded, k) for k in ("discriminate_reconstructions", "real_weight",
                                               "saturating_decoder_loss")} == {
        "discriminate_reconstructions": flags.get("discriminate_reconstructions", True),
        "real_weight": flags.get("real_weight"), "saturating_decoder_loss": flags.get("saturating_decoder_loss", False)}


def test_real_weight_outside_the_open_unit_interval_is_refused():
    with pytest.raises(ValueError, match="real_weight must be in"):
        VAEGANTrainer(DFCVAEEncoder(16, 3, 8, 4), DFCVAEDecoder(8, 16, 3, 4), FixedLogits(), real_weight=1.0)
