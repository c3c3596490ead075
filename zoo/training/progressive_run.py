"""What the progressive recipes (``ffhq_stylegan``, ``ffhq_progan``) share: their options, the trainer they compile
and the run of their levels (precision, strategy, the data of each level, the per-level evaluation and
``zoo.training.progressive.train_progressive``). A recipe adds its models (``build``) and its own options."""

from __future__ import annotations

import dataclasses
import os
from typing import Literal

from zoo.augment.options import AugmentOptions
from zoo.training.cli import RunOptions


@dataclasses.dataclass(frozen=True)
class ProgressiveOptions(AugmentOptions, RunOptions):
    """The fields the progressive recipes share (``ffhq_stylegan`` and ``ffhq_progan``): data, level schedule, loss,
    Adam(1e-3, 0, 0.99, eps 1e-8), mirror augmentation, EMA, precision, per-level FID/KID. Defaults are ProGAN's
    (NVlabs progressive_growing_of_gans) where the two papers differ; StyleGAN's Config overrides its own."""

    # training images (synthetic: rendered faces, no download)
    data: Literal["ffhq", "utkface", "celeba", "synthetic"] = "ffhq"
    data_dir: str | None = None  # dataset folder (UTKFace: or its .csv); default $FACEZOO_DATA/<data>, else data/<data>
    background: Literal["raw", "grey", "blur"] = "raw"
    mask_dir: str | None = None  # rembg outputs for grey/blur; default <data_dir>_rembg
    resolutions: tuple[int, ...] = (4, 8, 16, 32, 64, 128)  # image side of each level, pixels (doubling from 4)
    images_per_level: int = 600_000  # real images shown per level, fade-in included
    fade_fraction: float = 0.5  # part of each level's images spent fading its new block in
    batch_sizes: tuple[int, ...] = (256, 256, 128, 64, 32, 32)  # per level (global, over all replicas)
    batch_size: int = 0  # > 0: this batch at every level instead of batch_sizes
    latent_dim: int = 512  # size of the latent vector z
    fmap_base: int = 8192  # feature maps of a level: min(fmap_max, 2 fmap_base / resolution)
    fmap_max: int = 512  # cap on the feature maps of a level
    mbstd_group_size: int = 4  # minibatch-stddev group size in the discriminator
    # wgan_gp (ProGAN), logistic_r1 (StyleGAN) or logistic (no penalty)
    loss: Literal["wgan_gp", "logistic_r1", "logistic"] = "wgan_gp"
    gp_weight: float = 10.0  # wgan_gp: gradient-penalty weight lambda
    drift_weight: float = 0.001  # wgan_gp: weight of the drift term D(x)^2
    r1_gamma: float = 10.0  # logistic_r1: R1 penalty weight gamma
    learning_rate: float = 1e-3  # Adam step size
    beta_1: float = 0.0  # Adam's first-moment decay
    beta_2: float = 0.99  # Adam's second-moment decay
    adam_epsilon: float = 1e-8  # both NVlabs references (Keras' default is 1e-7)
    lr_sigmoid_slope: float = 6.0  # inverse-sigmoid decay within each level; 0 = constant (the papers' choice)
    mirror_augment: bool = True  # random left-right flips of the reals (both references on faces)
    ema_decay: float = 0.999  # generator EMA per step (ProGAN's G_smoothing); used when ema_kimg is 0
    ema_kimg: float = 0.0  # > 0: EMA half-life in thousands of images, beta = 0.5 ** (batch / (1000 ema_kimg))
    precision: Literal["float32", "mixed_float16", "mixed_bfloat16", "auto"] = "float32"
    num_synthetic: int = 256
    run_eagerly: bool = False  # debugging, or tiny CPU runs where tracing each level costs more than the steps
    epoch_steps: int = 1000  # steps between sample grids and plots within a level
    num_samples: int = 16
    eval_extractor: str = ""  # FID/KID at the end of each level: "" off, "inception" (FID) or a preset/.keras (FD[name])
    eval_images: int = 2000  # real and generated images per level evaluation
    # > 0: also evaluate inside each level every this many thousand real images, at the fade-in's alpha with the
    # real images faded alike (ProGAN's snapshots); rows "within" in logs/levels.csv, plots/levels_within.png
    eval_every_kimg: float = 0.0
    # InceptionV3 weights file for FID; default $FACEZOO_INCEPTION_WEIGHTS or ~/.keras/models
    inception_weights: str | None = None
    time_budget: float = 0.0  # minutes of training, summed over levels and resumes; 0 = the whole schedule

    def validate(self) -> None:
        """The level schedule's rules, checked with the other flags before TensorFlow starts (``validate_config``):
        resolutions doubling from 4, and one batch size for every level or one per level (the default list is
        cut to the levels; a list given on the command line must fit them exactly)."""
        res, sizes = self.resolutions, self.batch_sizes
        if not res or res[0] != 4 or any(b != 2 * a for a, b in zip(res, res[1:])):
            raise ValueError(f"--resolutions {','.join(map(str, res))}: must double from 4 (4,8,16,...)")
        given = sizes != type(self).__dataclass_fields__["batch_sizes"].default
        if self.batch_size == 0 and len(sizes) != 1 and (len(sizes) < len(res) or given and len(sizes) != len(res)):
            raise ValueError(f"--batch-sizes {','.join(map(str, sizes))}: {len(sizes)} values for {len(res)} levels "
                             f"(--resolutions {','.join(map(str, res))}); give one per level or a single value")
        if self.eval_every_kimg > 0 and not self.eval_extractor:
            raise ValueError(f"--eval-every-kimg {self.eval_every_kimg:g} measures with the level evaluation's "
                             "features: give --eval-extractor too (a classifier preset, or inception)")


def schedule(cfg):
    from zoo.training.progressive import level_schedule

    batches = (cfg.batch_size,) if cfg.batch_size > 0 else cfg.batch_sizes
    return level_schedule(cfg.resolutions, cfg.images_per_level, batches, cfg.fade_fraction)


def make_trainer(cfg, generator, discriminator):
    """The compiled ProgressiveTrainer of ``generator`` and ``discriminator`` for ``cfg``."""
    from zoo.augment.options import make_augmenter
    from zoo.trainers.progressive_trainer import ProgressiveTrainer
    from zoo.training.setup import make_optimizer

    trainer = ProgressiveTrainer(generator, discriminator, loss=cfg.loss, gp_weight=cfg.gp_weight,
                                 drift_weight=cfg.drift_weight, r1_gamma=cfg.r1_gamma, ema_decay=cfg.ema_decay,
                                 lr_sigmoid_slope=cfg.lr_sigmoid_slope, seed=cfg.seed,
                                 ema_half_life_images=1000.0 * cfg.ema_kimg, mirror_augment=cfg.mirror_augment,
                                 augment=make_augmenter(cfg))
    mixed = cfg.precision == "mixed_float16"  # loss scaling is needed for float16 only
    adam = dict(name="adam", learning_rate=cfg.learning_rate, beta_1=cfg.beta_1, beta_2=cfg.beta_2,
                mixed_precision=mixed, epsilon=cfg.adam_epsilon)
    trainer.compile(g_optimizer=make_optimizer(**adam), d_optimizer=make_optimizer(**adam),
                    jit_compile=cfg.jit_compile, run_eagerly=cfg.run_eagerly)
    return trainer


def load_data(cfg, run_dir: str | None = None):
    """The training ImageSource with the background variant applied, rendered/loaded at the top resolution (only
    the split's train part with ``--train-on train``, recorded in ``run_dir``)."""
    from zoo.training.setup import load_training_source

    return load_training_source(cfg, run_dir, image_size=cfg.resolutions[-1])


def evaluation_source(cfg, source):
    """The real faces the level evaluations measure against: the split's validation part when the run trains on
    the train part (``--train-on train``; faces it never trains on, as the other recipes' distance curves), else
    the training set itself (the papers' setup, and CelebA's)."""
    from zoo.training.cli import holds_out
    from zoo.training.setup import held_out_part

    if not holds_out(cfg):
        return source

    return held_out_part(cfg, "validation", image_size=cfg.resolutions[-1])


def run_levels(cfg, build_fn, run_dir: str, resume: bool, render_kwargs: dict, extra_callbacks=()):
    """Shared by the progressive recipes: precision policy, strategy, data per level, the progressive driver."""
    import keras
    import numpy as np

    from zoo.data import make_dataset
    from zoo.training.distribute import get_strategy, is_multi_worker
    from zoo.utils.random import derive_seed
    from zoo.training.progressive import train_progressive
    from zoo.training.setup import precision_policy

    levels = schedule(cfg)
    strategy = get_strategy()
    if resume and is_multi_worker(strategy):  # the driver reads the level from the checkpoint, on the chief only
        raise ValueError("--resume of a progressive run (ProGAN, StyleGAN) works on one worker only: run the same "
                         "command without the launcher or TF_CONFIG")
    for lv in levels:
        if lv.batch_size % strategy.num_replicas_in_sync:
            raise ValueError(f"batch {lv.batch_size} at {lv.resolution} px does not split over "
                             f"{strategy.num_replicas_in_sync} replicas")
    source = load_data(cfg, run_dir)
    extractor = None
    if cfg.eval_extractor:  # built before training, so a missing weights file stops the run at once
        from zoo.metrics.features import make_extractor

        extractor = make_extractor(cfg.eval_extractor, inception_weights=cfg.inception_weights)
    # the policy is set here too (not only by run_recipe): background_study calls this outside run_recipe
    with precision_policy(cfg.precision):
        with strategy.scope():
            trainer = build_fn(cfg)
            trainer.build_all()
        fixed_z = np.random.default_rng(cfg.seed).standard_normal((cfg.num_samples, cfg.latent_dim)).astype("float32")

        def dataset_fn(lv, start_step):  # the level's one seeded order, from the run's step on (exact resumes)
            return make_dataset(source, lv.resolution, lv.batch_size, seed=derive_seed(cfg.seed, f"level {lv.index}"),
                                start_batch=start_step)

        after_level = None
        if extractor is not None:
            from zoo.metrics.level_metrics import LevelMetrics

            after_level = LevelMetrics(trainer, evaluation_source(cfg, source), extractor, num_images=cfg.eval_images,
                                       seed=cfg.seed,
                                       csv_path=os.path.join(run_dir, "logs", "levels.csv"),
                                       plot_path=os.path.join(run_dir, "plots", "levels.png"))
            if cfg.eval_every_kimg > 0:
                from zoo.metrics.level_metrics import WithinLevelMetrics

                every = max(1, int(round(1000 * cfg.eval_every_kimg)))
                extra_callbacks = (*extra_callbacks, WithinLevelMetrics(after_level, levels, every))
        result = train_progressive(
            trainer, levels, dataset_fn, run_dir, resume=resume, checkpoint_every=cfg.checkpoint_every,
            keep_checkpoints=cfg.keep_checkpoints, log_every=cfg.log_every, epoch_steps=cfg.epoch_steps,
            extra_callbacks=extra_callbacks,
            render_samples=lambda: trainer.sample(fixed_z, **render_kwargs), after_level=after_level,
            time_budget_s=60.0 * cfg.time_budget)
    return trainer, result


def ema_half_life_images(cfg, batch: int) -> float:
    """The generator EMA's half-life in images at ``batch``: ``ema_kimg`` thousand, or from the per-step decay."""
    import math

    if cfg.ema_kimg > 0:
        return 1000.0 * cfg.ema_kimg
    return batch * math.log(0.5) / math.log(cfg.ema_decay) if 0 < cfg.ema_decay < 1 else 0.0


def ema_lag_warning(cfg) -> list[str]:
    """A warning line when the EMA's half-life is more than 25% of a level: the EMA generator (samples, presets,
    evaluation) then still holds much of the new blocks' initial weights when the level ends. The references'
    half-lives are 2-11% of a level (StyleGAN 10k of 600k images; ProGAN 0.999 per step at batch 128, 89k of 800k)."""
    worst = max(schedule(cfg), key=lambda lv: ema_half_life_images(cfg, lv.batch_size) / lv.images)
    half = ema_half_life_images(cfg, worst.batch_size)
    if half <= 0.25 * worst.images:
        return []
    return [f"WARNING: the generator EMA's half-life ({half:,.0f} images) is {half / worst.images:.0%} of level "
            f"{worst.index}'s {worst.images:,} images: its samples will lag the trained generator. For short levels "
            f"scale it down with the level, e.g. --ema-kimg {0.02 * worst.images / 1000:g} (2% of a level, as the "
            f"references)"]


def describe_training(cfg) -> list[str]:
    """The optimizer, learning-rate schedule, loss, EMA and augmentation lines of both progressive recipes."""
    from zoo.augment.options import describe_augment
    from zoo.training.setup import describe_optimizer

    lr = ("constant learning rate" if cfg.lr_sigmoid_slope == 0 else
          f"inverse-sigmoid decay per level (slope {cfg.lr_sigmoid_slope:g})")
    ema = (f"EMA half-life {cfg.ema_kimg:g}k images (beta = 0.5 ** (batch / {1000 * cfg.ema_kimg:g}))"
           if cfg.ema_kimg > 0 else f"EMA decay {cfg.ema_decay:g} per step")
    return [describe_optimizer("adam", cfg.learning_rate, cfg.beta_1, cfg.beta_2)[:-1]
            + f", epsilon={cfg.adam_epsilon:g}), {lr}",
            f"loss: {cfg.loss}" + (f" (gp {cfg.gp_weight:g}, drift {cfg.drift_weight:g})" if cfg.loss == "wgan_gp"
                                   else f" (R1 gamma {cfg.r1_gamma:g})" if cfg.loss == "logistic_r1" else ""),
            f"generator {ema}; mirror augmentation {'on' if cfg.mirror_augment else 'off'}",
            describe_augment(cfg), f"precision: {cfg.precision}", *ema_lag_warning(cfg)]
