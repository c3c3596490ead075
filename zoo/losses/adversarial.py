"""Adversarial losses. Each returns a per-example loss [B]; the trainer reduces over the global batch.

Logits are the discriminator's raw outputs (before any sigmoid), so the cross-entropies are the numerically
stable forms of the papers' ``log D(x)`` expressions.
"""

from __future__ import annotations

from keras import ops


def _flat(x):
    return ops.reshape(ops.cast(x, "float32"), (ops.shape(x)[0], -1))


def _bce_with_logits(logits, target: float):
    # log(1 + exp(-|x|)) + max(x, 0) - x * t : stable binary cross-entropy on logits
    x = _flat(logits)
    loss = ops.relu(x) - x * target + ops.log1p(ops.exp(-ops.abs(x)))
    return ops.mean(loss, axis=1)


def bce_discriminator_loss(real_logits, fake_logits):
    """-log D(x) - log(1 - D(G(z))) per example (Goodfellow et al., as used by DCGAN)."""
    return _bce_with_logits(real_logits, 1.0) + _bce_with_logits(fake_logits, 0.0)


def bce_generator_loss(fake_logits):
    """Non-saturating generator loss -log D(G(z)) per example."""
    return _bce_with_logits(fake_logits, 1.0)


def wasserstein_critic_loss(real_scores, fake_scores):
    """Critic loss f(G(z)) - f(x) per example (Arjovsky et al.)."""
    return ops.mean(_flat(fake_scores), axis=1) - ops.mean(_flat(real_scores), axis=1)


def wasserstein_generator_loss(fake_scores):
    """Generator loss -f(G(z)) per example."""
    return -ops.mean(_flat(fake_scores), axis=1)


def saturating_generator_loss(fake_logits):
    """The minimax generator loss log(1 - D(G(z))) per example (to be minimised; negative). Its gradient vanishes
    where D rejects the fakes confidently, hence the usual non-saturating -log D(G(z)); Larsen et al.'s VAE-GAN code
    trains its decoder on this one."""
    return -_bce_with_logits(fake_logits, 0.0)


def weighted_discriminator_loss(real_logits, fake_logits: list, real_weight: float | None = None):
    """Discriminator loss per example [B] on reals and one or more equally sized batches of fakes.

    ``real_weight`` None: the plain sum -log D(x) + sum_g -log(1 - D(g)) over the batches g (Larsen et al.'s
    Algorithm 1). A weight w in (0, 1): w * (-log D(x)) + (1 - w) * mean_g -log(1 - D(g)), so reals and generated
    images weigh w : 1 - w whatever the number of fake batches (their code's ``real_vs_gen_weight``).
    """
    real = _bce_with_logits(real_logits, 1.0)
    fakes = [_bce_with_logits(f, 0.0) for f in fake_logits]
    if not fakes:
        raise ValueError("the discriminator needs at least one batch of generated images")
    if real_weight is None:
        return real + sum(fakes[1:], fakes[0])
    if not 0.0 < real_weight < 1.0:
        raise ValueError(f"real_weight must be in (0, 1) or None (the plain sum), got {real_weight}")
    return real_weight * real + (1.0 - real_weight) * sum(fakes[1:], fakes[0]) / len(fakes)
