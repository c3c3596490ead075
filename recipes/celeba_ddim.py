"""DDIM on faces: the keras.io DDIM example's denoiser, schedule and training (Beres 2022), the DDIM sampler of
Song et al. (2021; CelebA 64x64 is one of its datasets).

    python -m recipes.celeba_ddim --data-dir ~/data/celeba
    python -m recipes.celeba_ddim --data synthetic --epochs 5                     # no download
    python -m recipes.celeba_ddim --data utkface --data-dir ../shared/data/utkface --image-size 32
"""

from __future__ import annotations

import dataclasses
import sys
from typing import Literal

from zoo.training.cli import RunOptions

NAME = "celeba_ddim"


@dataclasses.dataclass(frozen=True)
class Config(RunOptions):
    """The keras.io DDIM example's setup: U-Net widths (32, 64, 96, 128), 2 residual blocks per level, a 32-d
    sinusoidal embedding of the noise variance (frequencies 1 to 1000), signal rates 0.95 to 0.02 on a continuous
    cosine schedule, noise prediction with mean absolute error, AdamW(1e-3, weight decay 1e-4), batch 64, EMA
    0.999 per step, 20 DDIM steps for the sample grids; 64x64. The reference trains at least 50 epochs of five
    repetitions of its 6,500 flowers (1.6 M images); here an epoch is one pass over the training images."""

    # training images (synthetic: rendered faces, no download)
    data: Literal["celeba", "utkface", "ffhq", "synthetic"] = "celeba"
    data_dir: str | None = None  # dataset folder (UTKFace: or its .csv); default $FACEZOO_DATA/<data>, else data/<data>
    image_size: int = 64  # training image side, pixels (a multiple of 2 ** (number of widths - 1))
    widths: tuple[int, ...] = (32, 64, 96, 128)  # U-Net widths, one per resolution, full resolution first
    block_depth: int = 2  # residual blocks per resolution
    embedding_dims: int = 32  # size of the sinusoidal noise-level embedding (even)
    embedding_max_frequency: float = 1000.0  # its highest frequency (the lowest is 1)
    attention: bool = False  # a self-attention block at the lowest resolution (not in the reference)
    min_signal_rate: float = 0.02  # signal rate at diffusion time 1
    max_signal_rate: float = 0.95  # signal rate at diffusion time 0
    prediction: Literal["noise", "velocity"] = "noise"  # what the U-Net predicts (velocity: Salimans & Ho 2022)
    loss: Literal["mae", "mse"] = "mae"  # error between prediction and target
    mirror_augment: bool = False  # random left-right flips of the training images (not in the reference)
    batch_size: int = 64  # images per training step
    epochs: int = 50  # passes over the training images
    steps: int = 0  # cap on total steps; 0 = epochs * steps per epoch
    time_budget: float = 0.0  # minutes of training, summed over resumes; 0 = no limit (equal-compute comparisons)
    optimizer: Literal["adamw", "adam"] = "adamw"  # optimizer of the U-Net
    learning_rate: float = 1e-3  # optimizer step size
    weight_decay: float = 1e-4  # AdamW's decoupled weight decay
    ema: float = 0.999  # decay per step of the sampling weights' moving average
    ema_warmup: bool = False  # decay min(ema, (1 + t) / (10 + t)) at step t (diffusers' EMAModel; not in the reference)
    sample_steps: int = 20  # DDIM steps of the sampler (sample grids, presets, evaluation)
    statistics_images: int = 2000  # training images (a seeded draw) whose per-channel mean and std normalise them
    metric_every: int = 0  # FD and KID every this many epochs (0: never), on held-out faces (validation part with
    #                        --train-on train), written to logs/distance.csv and plots/distance.png
    metric_images: int = 500  # samples (and real faces) per evaluation
    metric_extractor: str = "classifier_gender_utkface_48"  # feature space of the distances (a classifier preset)

    def validate(self) -> None:
        """Checked before TensorFlow starts (``zoo.training.cli.validate_config``)."""
        from zoo.models.sides import multiple_of

        if len(self.widths) < 2:
            raise ValueError(f"--widths needs at least two values, got {','.join(map(str, self.widths))}")
        multiple_of(self.image_size, 2 ** (len(self.widths) - 1), f"DDIM with {len(self.widths)} widths,")
        if self.embedding_dims % 2:
            raise ValueError(f"--embedding-dims must be even, got {self.embedding_dims}")
        if self.min_signal_rate >= self.max_signal_rate:
            raise ValueError(f"--min-signal-rate ({self.min_signal_rate:g}) must be below --max-signal-rate "
                             f"({self.max_signal_rate:g})")
        if self.statistics_images < 2:
            raise ValueError(f"--statistics-images must be >= 2, got {self.statistics_images}")
        if self.metric_every < 0 or self.metric_images < 4:
            raise ValueError(f"--metric-every must be >= 0 and --metric-images >= 4, got {self.metric_every} and "
                             f"{self.metric_images}")


def build(cfg: Config):
    """The compiled DiffusionTrainer of a UNetDenoiser and its EMA DDIMSampler for ``cfg``."""
    import keras

    from zoo.models.diffusion import DDIMSampler, UNetDenoiser
    from zoo.trainers import DiffusionTrainer
    from zoo.training.setup import make_optimizer

    keras.utils.set_random_seed(cfg.seed)

    def denoiser():
        return UNetDenoiser(cfg.image_size, 3, cfg.widths, cfg.block_depth, cfg.embedding_dims,
                            cfg.embedding_max_frequency, cfg.attention, name="denoiser")

    generator = DDIMSampler(denoiser(), cfg.image_size, 3, cfg.sample_steps, cfg.min_signal_rate,
                            cfg.max_signal_rate, cfg.prediction, name="generator")
    trainer = DiffusionTrainer(denoiser(), generator, loss=cfg.loss, ema=cfg.ema, mirror_augment=cfg.mirror_augment,
                               ema_warmup=cfg.ema_warmup, seed=cfg.seed)
    trainer.compile(denoiser_optimizer=make_optimizer(cfg.optimizer, cfg.learning_rate, weight_decay=cfg.weight_decay),
                    jit_compile=cfg.jit_compile)
    return trainer


def pixel_statistics(source, cfg: Config):
    """Per-channel (mean, std) [3] of ``cfg.statistics_images`` training images drawn with the run's seed."""
    import numpy as np

    from zoo.training.vae_run import fixed_inputs
    from zoo.utils.random import derive_seed

    count = min(cfg.statistics_images, len(source))
    order = np.random.default_rng(derive_seed(cfg.seed, "pixel statistics")).permutation(len(source))[:count]
    images = fixed_inputs(source.subset(np.sort(order)), cfg.image_size, 3, count)
    return images.mean(axis=(0, 1, 2)), images.std(axis=(0, 1, 2))


def run(cfg: Config, run_dir: str, resume: bool = False):
    import numpy as np

    from zoo.training.distribute import get_strategy
    from zoo.training.loop import train
    from zoo.training.setup import image_dataset_fn, load_training_source, steps_for

    source = load_training_source(cfg, run_dir)
    with get_strategy().scope():
        trainer = build(cfg)
    trainer.set_pixel_statistics(*pixel_statistics(source, cfg))  # a resumed run restores the same values
    per_epoch, total = steps_for(len(source), cfg.batch_size, cfg.epochs, cfg.steps)
    extra = ()
    if cfg.metric_every:
        from zoo.metrics.training_distance import distance_callback

        extra = (distance_callback(cfg, run_dir, every_epochs=cfg.metric_every, num_images=cfg.metric_images,
                                   extractor=cfg.metric_extractor),)
    fixed_z = np.random.default_rng(cfg.seed).standard_normal((cfg.num_samples, trainer.latent_dim)).astype("float32")
    state = train(trainer, image_dataset_fn(source, cfg), run_dir, steps_per_epoch=per_epoch, total_steps=total,
                  resume=resume, checkpoint_every=cfg.checkpoint_every, keep_checkpoints=cfg.keep_checkpoints,
                  log_every=cfg.log_every, render_samples=lambda: trainer.sample(fixed_z), extra_callbacks=extra,
                  time_budget_s=60.0 * cfg.time_budget, batch_size=cfg.batch_size)
    return trainer, state


def describe(cfg: Config):
    from zoo.training.setup import describe_optimizer

    opt = describe_optimizer("adam", cfg.learning_rate, 0.9, 0.999)
    if cfg.optimizer == "adamw":
        opt = opt.replace("Adam(", "AdamW(").replace(")", f", weight_decay={cfg.weight_decay:g})")
    ema = f"EMA {cfg.ema:g} per step" + (", warm-up (1 + t) / (10 + t)" if cfg.ema_warmup else "")
    return [opt, f"loss: {cfg.loss.upper()} of the {cfg.prediction} prediction; {ema}; "
                 f"mirror augmentation {'on' if cfg.mirror_augment else 'off'}",
            f"U-Net widths {','.join(map(str, cfg.widths))}, depth {cfg.block_depth}"
            f"{', attention at the lowest resolution' if cfg.attention else ''}; DDIM {cfg.sample_steps} steps, "
            f"signal rates {cfg.max_signal_rate:g} -> {cfg.min_signal_rate:g}",
            f"image: {cfg.image_size}x{cfg.image_size}x3"]


def main(argv=None) -> int:
    from zoo.training.recipe import run_recipe

    return run_recipe(NAME, Config, run, argv, describe)


if __name__ == "__main__":
    sys.exit(main())
