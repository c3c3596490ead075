"""Wiring helpers recipes share: data source and dataset from config fields, optimizers by name."""

from __future__ import annotations

import contextlib
import dataclasses
import logging

import keras

from zoo.data import load_source, make_dataset
from zoo.data.splits import PRESET_SPLIT as GENERATIVE_SPLIT  # one decision, made in zoo.data.splits
from zoo.utils.random import derive_seed

log = logging.getLogger(__name__)

OPTIMIZERS = ("adam", "adamw", "rmsprop", "sgd")


PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")


@contextlib.contextmanager
def precision_policy(name: str):
    """Keras' global dtype policy set to ``name`` (one of ``PRECISIONS``) inside the block, restored after.

    Models built inside compute in that dtype and keep float32 variables; every zoo model returns float32 and the
    trainers reduce losses and penalties in float32, so only ``mixed_float16`` needs loss scaling (which
    ``make_optimizer`` adds by itself under that policy)."""
    if name not in PRECISIONS:
        raise ValueError(f"unknown precision {name!r}; expected one of {PRECISIONS}")
    previous = keras.mixed_precision.global_policy().name
    keras.mixed_precision.set_global_policy(name)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


def make_optimizer(name: str, learning_rate: float, beta_1: float = 0.9, beta_2: float = 0.999,
                   mixed_precision: bool | None = None, epsilon: float = 1e-7, weight_decay: float = 0.0):
    """A Keras optimizer by name (``adam``, ``rmsprop``, ``sgd``); wrapped for loss scaling under float16
    (``mixed_precision=None``: when the global policy is ``mixed_float16``; bfloat16 needs no loss scaling).
    ``epsilon``: Adam's (Keras' default 1e-7; the NVlabs progressive GANs use 1e-8). ``adamw``: Adam with decoupled
    ``weight_decay`` (Loshchilov & Hutter; the keras.io DDIM example's 1e-4)."""
    if mixed_precision is None:
        mixed_precision = keras.mixed_precision.global_policy().name == "mixed_float16"
    if name == "adam":
        opt = keras.optimizers.Adam(learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon)
    elif name == "adamw":
        opt = keras.optimizers.AdamW(learning_rate, weight_decay=weight_decay, beta_1=beta_1, beta_2=beta_2,
                                     epsilon=epsilon)
    elif name == "rmsprop":
        opt = keras.optimizers.RMSprop(learning_rate)
    elif name == "sgd":
        opt = keras.optimizers.SGD(learning_rate)
    else:
        raise ValueError(f"unknown optimizer {name!r}; expected one of {OPTIMIZERS}")
    return keras.optimizers.LossScaleOptimizer(opt) if mixed_precision else opt


def describe_optimizer(name: str, learning_rate: float, beta_1: float, beta_2: float) -> str:
    if name == "adam":
        return f"optimizer: Adam(learning_rate={learning_rate:g}, beta_1={beta_1:g}, beta_2={beta_2:g})"
    return f"optimizer: {dict(rmsprop='RMSprop', sgd='SGD').get(name, name)}(learning_rate={learning_rate:g})"


def describe_generator_ema(ema_kimg: float) -> str:
    """One ``--dry-run`` line for a GAN recipe's ``--ema-kimg``."""
    if ema_kimg <= 0:
        return "generator EMA: none (the paper's setup)"
    return (f"generator EMA: half-life {ema_kimg:g}k images, beta = 0.5 ** (batch / {1000 * ema_kimg:g}) per "
            f"generator step, used for samples, evaluation, presets and export (a deviation: the paper keeps none)")


def load_training_source(cfg, run_dir: str | None = None, image_size: int | None = None, whole_batches: bool = True):
    """The ImageSource named by ``cfg.data`` / ``cfg.data_dir`` (synthetic rendered at ``image_size``, default
    ``cfg.image_size``), with the background variant ``cfg.background`` (``raw``, ``grey``, ``blur``; masks from ``cfg.mask_dir``).

    With ``cfg.train_on == "train"`` only the train part of ``zoo.data.splits.split_indices(n, seed=0)`` (the
    classifier presets' split) is kept, and the split is recorded in ``run_dir`` (split.json, split.csv).
    ``whole_batches``: refuse a ``cfg.batch_size`` larger than the set (every step would repeat images)."""
    from zoo.data.backgrounds import with_background
    from zoo.training.cli import check_batch_fits
    from zoo.training.distribute import get_strategy

    get_strategy()  # a multi-worker strategy must exist before TensorFlow's first op (the synthetic set's)
    source = load_source(cfg.data, cfg.data_dir, image_size=image_size or cfg.image_size,
                         num_synthetic=cfg.num_synthetic, seed=cfg.seed)
    source = with_background(source, cfg.background, cfg.mask_dir)
    msg = f"data: {source.name}, {len(source)} images"
    if source.skipped:
        msg += f" ({source.skipped} skipped: malformed or corrupt)"
    if getattr(cfg, "train_on", "all") == "train":
        source = train_part(source, run_dir)
        msg += f"; training on the train split's {len(source)}"
    if getattr(cfg, "train_images", 0):
        source = training_subset(source, cfg.train_images)
        msg += f"; a seeded subset of {len(source)} of them (--train-images)"
    print(msg, flush=True)
    if whole_batches:  # the generative recipes; the classifiers batch their own split of it (not checked here)
        check_batch_fits(cfg, len(source), f"the training set ({source.name})", "more images")
    return source


def train_part(source, run_dir: str | None = None):
    """The train part of ``source`` under ``GENERATIVE_SPLIT`` (the split the classifier presets and
    ``zoo.latent``'s test faces use), recorded in ``run_dir`` when given; ``info["split"]`` says which."""
    import types

    from zoo.data.splits import preset_split, write_split

    parts = preset_split(len(source))
    if run_dir is not None:
        write_split(run_dir, source, parts,
                    types.SimpleNamespace(split=GENERATIVE_SPLIT["proportions"], split_seed=GENERATIVE_SPLIT["seed"],
                                          seed=GENERATIVE_SPLIT["seed"]))
    return _split_part(source, parts, "train")


def _split_part(source, parts: dict, part: str):
    """``parts[part]`` of ``source``, its ``info["split"]`` saying which part of how many images."""
    held = source.subset(parts[part])
    return dataclasses.replace(held, info={**held.info, "split": {**GENERATIVE_SPLIT, "part": part,
                                                                  "images": len(held), "of": len(source)}})


def held_out_part(cfg, part: str, image_size: int | None = None):
    """The ``part`` ("validation" or "test") of the presets' split of the run's dataset, with its background
    variant: faces a run with ``--train-on train`` never trains on (the same split ``train_part`` keeps the rest
    of). CelebA has its own split and no held-out part here: a ValueError."""
    from zoo.data.backgrounds import with_background
    from zoo.data.splits import preset_split

    if cfg.data == "celeba":
        raise ValueError("CelebA's held-out faces are its own split; --train-on train applies to UTKFace, FFHQ and "
                         "the synthetic set")
    source = load_source(cfg.data, cfg.data_dir, image_size=image_size or cfg.image_size,
                         num_synthetic=cfg.num_synthetic, seed=cfg.seed)
    source = with_background(source, cfg.background, cfg.mask_dir)
    return _split_part(source, preset_split(len(source)), part)


def training_subset(source, count: int):
    """``count`` images of ``source`` drawn with a fixed seed (0, independent of the run's ``--seed``), in their
    original order; ``info["subset"]`` records it. More than the source holds is a ValueError."""
    import numpy as np

    if count < 1 or count > len(source):
        raise ValueError(f"--train-images {count}: the training set ({source.name}) has {len(source)} images; "
                         f"give 1 to {len(source)}, or 0 for all")
    idx = np.sort(np.random.default_rng(0).permutation(len(source))[:count])
    part = source.subset(idx)
    return dataclasses.replace(part, info={**part.info, "subset": {"seed": 0, "images": count, "of": len(source)}})


def image_dataset_fn(source, cfg, channels: int = 3, crop: str | None = None, real_batches: int = 1):
    """``f(start_step)`` -> infinite batches of images in [-1, 1] for the training loop, each of
    ``real_batches * cfg.batch_size`` images (a trainer's ``real_batches_per_step``: n_critic for WGANs).
    The batches are the run's one seeded order from step ``start_step`` on, so a resumed run sees the batches
    an uninterrupted one would."""
    def fn(start_step: int = 0):
        return make_dataset(source, cfg.image_size, real_batches * cfg.batch_size, channels=channels, crop=crop,
                            seed=derive_seed(cfg.seed, "data order"), start_batch=start_step)
    return fn


def steps_for(num_examples: int, batch_size: int, epochs: int, steps: int) -> tuple[int, int]:
    """(steps_per_epoch, total_steps): whole batches per epoch; ``steps`` > 0 caps the total. ``batch_size`` is
    the images one step consumes (n_critic * B for a trainer with several critic updates per step)."""
    per_epoch = max(1, num_examples // batch_size)
    total = per_epoch * epochs
    return per_epoch, (min(total, steps) if steps > 0 else total)


def scheduled_dataset_fn(batch_fn, schedule):
    """``f(start_step)`` -> one element of ``schedule(step)`` real batches per step, from ``batch_fn(start_batch)``
    (batches of B); a run starting at step s starts after the sum of schedule(t), t < s, batches."""
    from zoo.data.pipeline import group_batches

    def fn(start_step: int = 0):
        before = sum(int(schedule(t)) for t in range(int(start_step)))
        return group_batches(batch_fn(before), schedule, start_step=start_step)
    return fn


def train_gan(cfg, run_dir: str, resume: bool, build, crop: str | None = None):
    """The whole run of a GAN recipe: data from ``cfg``, ``build(cfg)`` under the strategy (a new run with
    ``--init-from`` then takes the preset's weights: ``zoo.training.init_from``), the loop with
    fixed-latent sample grids (``trainer.sample``: the EMA generator where the trainer keeps one). Returns
    ``(trainer, state)``."""
    import numpy as np

    from zoo.training.distribute import get_strategy
    from zoo.training.init_from import start_from_preset
    from zoo.training.loop import train

    source = load_training_source(cfg, run_dir)
    with get_strategy().scope():
        trainer = build(cfg)
        start_from_preset(trainer, cfg, run_dir)  # --init-from: a new run's weights from the preset
    # A step takes one real batch per critic update, so an epoch (every image seen once) has N // (k * B) steps.
    real_batches = getattr(trainer, "real_batches_per_step", 1)
    per_epoch, total = steps_for(len(source), real_batches * cfg.batch_size, cfg.epochs, cfg.steps)
    fixed_z = np.random.default_rng(cfg.seed).standard_normal((cfg.num_samples, cfg.latent_dim)).astype("float32")
    dataset_fn = image_dataset_fn(source, cfg, crop=crop, real_batches=real_batches)
    schedule = trainer.real_batches_schedule() if hasattr(trainer, "real_batches_schedule") else None
    if schedule is not None:  # steps of different sizes (WGAN's warm-up): batches of B, grouped per step
        dataset_fn = scheduled_dataset_fn(image_dataset_fn(source, cfg, crop=crop), schedule)
    state = train(trainer, dataset_fn, run_dir, steps_per_epoch=per_epoch,
                  total_steps=total, resume=resume, checkpoint_every=cfg.checkpoint_every,
                  keep_checkpoints=cfg.keep_checkpoints, log_every=cfg.log_every,
                  render_samples=lambda: trainer.sample(fixed_z),
                  time_budget_s=60.0 * cfg.time_budget, batch_size=cfg.batch_size)
    return trainer, state
