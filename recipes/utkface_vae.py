"""The convolutional VAE of the UTKFace latent-size / KL-weight study: 48x48 greyscale, models M(d, beta).

    python -m recipes.utkface_vae --data-dir ../shared/data/utkface --latent-dim 256 --beta 0.01
    python -m recipes.utkface_vae --data-dir ../shared/data/utkface --grid    # M(4,1) M(4,.01) M(256,1) M(256,.01)
"""

from __future__ import annotations

import dataclasses
import sys
from typing import Literal

from zoo.training.cli import RunOptions

NAME = "utkface_vae"
GRID = ((4, 1.0), (4, 0.01), (256, 1.0), (256, 0.01))  # the study's four models M(d, beta)


@dataclasses.dataclass(frozen=True)
class Config(RunOptions):
    """Conv VAE: 3 x [conv, ReLU, pool, BN] encoder, 3 deconvolutions, widened dense networks; latent d and KL
    weight beta (default M(4, 1)); UTKFace 48x48 greyscale, 200 epochs, batch 64, Adam(1e-3). ``--grid`` trains
    the study's four models one after another on 90% of the images and writes their side-by-side reconstructions
    of held-out images and their PSNR / SSIM / MSE on up to ``eval_images`` held-out images."""

    # training images (synthetic: rendered faces, no download)
    data: Literal["celeba", "utkface", "ffhq", "synthetic"] = "utkface"
    data_dir: str | None = None  # dataset folder (UTKFace: or its .csv); default $FACEZOO_DATA/<data>, else data/<data>
    image_size: int = 48  # training image side, pixels
    channels: int = 1  # 1 greyscale (the study), 3 colour
    latent_dim: int = 4  # latent size d
    beta: float = 1.0  # KL weight
    base_filters: int = 32  # convolution filters of the first block (x1, x2, x4)
    dense_units: int = 512  # units of the widened dense networks
    batch_size: int = 64  # images per training step
    epochs: int = 200  # passes over the training images
    steps: int = 0  # cap on total steps (per model with --grid); 0 = epochs * steps per epoch
    time_budget: float = 0.0  # minutes of training, summed over resumes; 0 = no limit (equal-compute comparisons)
    optimizer: Literal["adam", "rmsprop", "sgd"] = "adam"  # optimizer (--beta-1/--beta-2: Adam only)
    learning_rate: float = 1e-3  # optimizer step size
    beta_1: float = 0.9  # Adam's first-moment decay
    beta_2: float = 0.999  # Adam's second-moment decay
    log_var_limit: float = 0.0  # soft bound L on the encoder's log-variance, L*tanh(v/L); 0 = unbounded (the study)
    grid: bool = False  # train the study's four models and compare them
    num_reconstructions: int = 8  # held-out faces in the reconstruction grids
    eval_images: int = 1000  # --grid: held-out images (the classifiers' seeded 10% test split) scored per model

    def validate(self) -> None:
        """The architecture's image sides, checked before TensorFlow starts (``zoo.training.cli.validate_config``)."""
        from zoo.models.sides import multiple_of

        multiple_of(self.image_size, 8, "Conv VAE")
        if self.log_var_limit < 0:
            raise ValueError(f"--log-var-limit must be >= 0 (0: unbounded), got {self.log_var_limit:g}")


def build(cfg: Config):
    """The compiled VAETrainer of ConvVAEEncoder and ConvVAEDecoder for ``cfg``."""
    import keras

    from zoo.models.vae import ConvVAEDecoder, ConvVAEEncoder
    from zoo.trainers import VAETrainer
    from zoo.training.setup import make_optimizer

    keras.utils.set_random_seed(cfg.seed)
    encoder = ConvVAEEncoder(cfg.image_size, cfg.channels, cfg.latent_dim, cfg.base_filters, cfg.dense_units,
                             log_var_limit=cfg.log_var_limit, name="encoder")
    decoder = ConvVAEDecoder(cfg.latent_dim, cfg.image_size, cfg.channels, cfg.base_filters, cfg.dense_units,
                             name="decoder")
    trainer = VAETrainer(encoder, decoder, beta=cfg.beta, seed=cfg.seed)
    trainer.compile(encoder_optimizer=make_optimizer(cfg.optimizer, cfg.learning_rate, cfg.beta_1, cfg.beta_2),
                    decoder_optimizer=make_optimizer(cfg.optimizer, cfg.learning_rate, cfg.beta_1, cfg.beta_2),
                    jit_compile=cfg.jit_compile)
    return trainer


def model_name(latent_dim: int, beta: float) -> str:
    return f"M({latent_dim}, {beta:g})"


def run(cfg: Config, run_dir: str, resume: bool = False):
    import os

    import numpy as np

    from zoo.training.distribute import get_strategy
    from zoo.training.setup import image_dataset_fn, load_training_source
    from zoo.training.vae_run import fixed_inputs, train_autoencoder
    from zoo.utils.images import save_grid
    from zoo.utils.io import write_json

    source = load_training_source(cfg, run_dir)
    dataset_fn = image_dataset_fn(source, cfg, channels=cfg.channels)
    if not cfg.grid:
        with get_strategy().scope():
            trainer = build(cfg)
        return train_autoencoder(trainer, source, cfg, run_dir, resume, dataset_fn, channels=cfg.channels,
                                 num_reconstructions=cfg.num_reconstructions)

    from zoo.data.splits import split_indices
    from zoo.metrics.reconstruction import reconstruction_metrics
    from zoo.training.cli import config_dict

    if cfg.train_on != "all":
        raise ValueError("--grid holds out the split's test faces itself and trains on the rest; drop --train-on")

    # Hold out the seeded 10% test split of the classifier recipes (the same images for the four models).
    parts = split_indices(len(source), seed=cfg.seed)
    heldout = source.subset(parts["test"][:cfg.eval_images])
    source = source.subset(np.concatenate([parts["train"], parts["validation"]]))
    dataset_fn = image_dataset_fn(source, cfg, channels=cfg.channels)
    scored = fixed_inputs(heldout, cfg.image_size, cfg.channels, len(heldout))
    inputs = scored[:cfg.num_reconstructions]
    rows, summary = [inputs], {}
    for d, beta in GRID:
        sub_cfg = dataclasses.replace(cfg, latent_dim=d, beta=beta, grid=False)
        sub_dir = os.path.join(run_dir, f"m_{d}_{beta:g}")
        print(f"--- {model_name(d, beta)} -> {sub_dir}", flush=True)
        # its own config.json makes each model a run folder that zoo.runs.run_model (evaluate, restore) can load
        write_json(os.path.join(sub_dir, "config.json"), config_dict(sub_cfg))
        with get_strategy().scope():
            trainer = build(sub_cfg)
        trainer, state = train_autoencoder(trainer, source, sub_cfg, sub_dir, resume, dataset_fn,
                                           channels=cfg.channels, num_reconstructions=cfg.num_reconstructions)
        recon = np.concatenate([np.asarray(trainer.reconstruct(scored[i:i + 256]))
                                for i in range(0, len(scored), 256)])
        rows.append(recon[:len(inputs)])
        summary[model_name(d, beta)] = {
            "steps": state.step, "run_dir": sub_dir,
            "reconstruction_sse": float(np.mean(np.sum(((scored - recon) / 2.0) ** 2, axis=(1, 2, 3)))),
            "heldout": reconstruction_metrics(scored, recon),
        }
    # Rows: inputs, then M(4,1), M(4,0.01), M(256,1), M(256,0.01) reconstructions of the same inputs.
    grid = np.concatenate(rows, axis=0)
    save_grid(os.path.join(run_dir, "comparison.png"), grid, cols=len(inputs))
    write_json(os.path.join(run_dir, "comparison.json"),
               {"rows": ["input"] + list(summary), "models": summary,
                "heldout": {"images": len(scored), "split": "test 10% of split_indices(seed)",
                            "trained_on": len(source)}})
    print("held-out reconstruction: " + ", ".join(
        f"{k} PSNR {v['heldout']['psnr']['mean']:.2f} dB, SSIM "
        f"{v['heldout'].get('ssim', {}).get('mean', float('nan')):.3f}, MSE {v['heldout']['mse']['mean']:.4f}"
        for k, v in summary.items()), flush=True)
    return summary


def describe(cfg: Config):
    from zoo.training.setup import describe_optimizer

    models = ", ".join(model_name(d, b) for d, b in GRID) if cfg.grid else model_name(cfg.latent_dim, cfg.beta)
    return [describe_optimizer(cfg.optimizer, cfg.learning_rate, cfg.beta_1, cfg.beta_2),
            f"loss: summed squared error + beta * KL; models: {models}",
            f"image: {cfg.image_size}x{cfg.image_size}x{cfg.channels}"
            + (f"; log-variance bounded softly at +-{cfg.log_var_limit:g} (not in the study)"
               if cfg.log_var_limit else "")]


def main(argv=None) -> int:
    from zoo.training.recipe import run_recipe

    return run_recipe(NAME, Config, run, argv, describe)


if __name__ == "__main__":
    sys.exit(main())
