"""How much signal a GAN run's critic passes to its generator: the spread of its scores over a batch of generated
images and the size of the generator's gradient, at the run's own batch-norm epsilon or at others.

    python -m bench.critic_signal runs/p002/wgan/00000-celeba_gan --batch-norm-epsilon 1e-3,1e-5,1e-8

A critic whose scores do not vary over a batch gives the generator no gradient: under weight clipping (WGAN)
this is what Keras' batch-norm epsilon (1e-3) does when gamma is clipped to 0.01 (docs/papers.md, paper 002).
Scores are taken in training mode, as in a training step (batch statistics), on ``--n`` images generated from a
seeded z; the gradient is that of the run's generator loss. A discriminator that batch-normalises its score
(paper 002's plain and L2 arms) is refused: its scores vary by construction.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

PROG = "python -m bench.critic_signal"


def _epsilons(text: str) -> list[float | None]:
    if not text:
        return [None]
    values = [float(v) for v in text.split(",")]
    if not all(v > 0 for v in values):
        raise ValueError(f"--batch-norm-epsilon takes positive numbers, got {text!r}")
    return values


def critic_signal(trainer, latent_dim: int, n: int = 64, seed: int = 0, epsilon: float | None = None) -> dict:
    """The critic's score spread and the generator's gradient size for one batch of ``n`` generated images, with
    every batch norm of the discriminator at ``epsilon`` (None: as built); the epsilons are put back after."""
    import keras
    import numpy as np
    import tensorflow as tf

    norms = [layer for layer in trainer.discriminator._flatten_layers(include_self=False)
             if isinstance(layer, keras.layers.BatchNormalization)]
    built = [layer.epsilon for layer in norms]
    z = tf.constant(np.random.default_rng(seed).standard_normal((n, latent_dim)).astype("float32"))
    try:
        for layer in norms:
            layer.epsilon = layer.epsilon if epsilon is None else epsilon
        with tf.GradientTape() as tape:
            scores = trainer.discriminator(trainer.generator(z, training=True), training=True)
            loss = trainer.generator_loss(scores)
        grads = tape.gradient(loss, trainer.generator.trainable_weights)
    finally:
        for layer, value in zip(norms, built):
            layer.epsilon = value
    size = np.concatenate([np.abs(g.numpy()).ravel() for g in grads if g is not None])
    scores = np.asarray(scores, "float64")[:, 0]
    return {"batch_norm_epsilon": epsilon if epsilon is not None else (built[0] if built else None),
            "score_mean": float(scores.mean()), "score_std": float(scores.std()),
            "grad_median": float(np.median(size)), "grad_max": float(size.max()), "n": n, "seed": seed}


def main(argv=None) -> int:
    from zoo.utils.arguments import documented_parser

    p = documented_parser(PROG, __doc__)
    p.add_argument("runs", nargs="+", help="GAN run folders")
    p.add_argument("--batch-norm-epsilon", default="",
                   help="comma-separated epsilons to measure at (default: the run's own)")
    p.add_argument("--n", type=int, default=64, help="generated images in the batch")
    p.add_argument("--seed", type=int, default=0, help="seed of the latents")
    args = p.parse_args(argv)
    try:
        epsilons = _epsilons(args.batch_norm_epsilon)
        if args.n < 2:
            raise ValueError(f"--n must be at least 2 (a spread over a batch), got {args.n}")
        from zoo.runs import load_run

        rows = []
        for run in args.runs:
            _, cfg, trainer = load_run(run)
            if not hasattr(trainer, "discriminator") or not hasattr(cfg, "latent_dim"):
                raise ValueError(f"{run} is not a GAN run (no discriminator)")
            if getattr(trainer.discriminator, "score_batch_norm", False):
                raise ValueError(f"{run}: its discriminator batch-normalises the score, which then varies by "
                                 f"construction; the signal is measured on critics")
            rows += [(run, critic_signal(trainer, cfg.latent_dim, args.n, args.seed, e)) for e in epsilons]
    except (ValueError, OSError, RuntimeError) as e:  # RuntimeError: zoo.training.checkpoint.CheckpointError
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    print("| run | D batch-norm epsilon | score mean | score std over the batch | generator gradient, median "
          "abs | max abs |\n|---|---|---|---|---|---|")
    for run, r in rows:
        print(f"| {run} | {r['batch_norm_epsilon']:g} | {r['score_mean']:.3g} | {r['score_std']:.3g} | "
              f"{r['grad_median']:.3g} | {r['grad_max']:.3g} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
