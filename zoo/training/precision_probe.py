"""Time a recipe's own training step in several precisions, side by side, for ``--precision auto`` on CPUs where the
faster dtype depends on the model (AVX512-BF16 without AMX: a DCGAN step gains nothing in bfloat16 on one AMD EPYC,
a VAE-GAN step 1.5x).

Each precision's trainer is built by the recipe's ``build(cfg)`` inside its dtype policy and stepped on one fixed
batch of random images: two warm-up steps (tracing), then ``rounds`` timed steps alternating between the precisions,
so a change in the machine's load hits both alike. The dtype policy is restored and the session cleared afterwards
(the probe's graphs freed): the run then builds its models as without the probe (same dtype, same seeded weights).
"""

from __future__ import annotations

import dataclasses
import sys
import time


def step_seconds(build, cfg, precisions=("float32", "mixed_bfloat16"), rounds: int = 5, warmup: int = 2) -> dict:
    """{precision: median seconds per ``train_on_batch``} of ``build(cfg)``'s trainer on one step's batch of uniform
    images [k x B, S, S, C] in [-1, 1] (``B = cfg.batch_size``, k the trainer's ``real_batches_per_step`` or 1,
    ``S = cfg.image_size``, ``C = cfg.channels`` or 3)."""
    import keras
    import numpy as np

    from zoo.training.setup import precision_policy

    size, channels = int(cfg.image_size), int(getattr(cfg, "channels", 3))
    trainers, times = {}, {p: [] for p in precisions}
    try:
        for p in precisions:
            with precision_policy(p):
                trainers[p] = build(dataclasses.replace(cfg, precision=p))
        # A step of a trainer with several critic updates takes that many batches, as the data pipeline gives them
        # (zoo.training.setup.image_dataset_fn): WGAN-GP's n_critic = 5 took one batch and failed to split.
        shape = (int(cfg.batch_size) * int(getattr(trainers[precisions[0]], "real_batches_per_step", 1)),
                 size, size, channels)
        x = np.random.default_rng(0).uniform(-1, 1, shape).astype("float32")
        for p in precisions:
            with precision_policy(p):
                for _ in range(warmup):
                    trainers[p].train_on_batch(x)
        for r in range(rounds):
            for p in (precisions if r % 2 == 0 else precisions[::-1]):
                start = time.perf_counter()
                trainers[p].train_on_batch(x)
                times[p].append(time.perf_counter() - start)
    finally:
        trainers.clear()
        keras.backend.clear_session()  # free the probe's models and graphs before the run builds its own
    return {p: float(np.median(v)) for p, v in times.items()}


def recipe_probe(cfg, run_fn):
    """``measure(precisions)`` for ``auto_precision`` timing the recipe of ``run_fn`` (its module's ``build``), or
    None when the recipe has no trainer of image batches alone to time (no ``build``, no ``image_size`` or
    ``batch_size``, or labels to learn: the classifiers), and on several workers, which must all pick the same dtype
    (each would time its own step and could answer differently)."""
    from zoo.training.distribute import num_workers

    if num_workers() > 1:
        return None
    module = sys.modules.get(getattr(run_fn, "__module__", ""), None)
    build = getattr(module, "build", None)
    if build is None or not hasattr(cfg, "image_size") or not hasattr(cfg, "batch_size") or hasattr(cfg, "task"):
        return None

    def measure(precisions):
        print(f"precision: auto: timing this model's training step in {' and '.join(precisions)} ...", flush=True)
        return step_seconds(build, cfg, tuple(precisions))

    return measure
