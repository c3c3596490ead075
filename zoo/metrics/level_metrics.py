"""FID/KID (or FD/KID in another extractor's features) of a progressive GAN at the end of each level.

    from zoo.metrics.level_metrics import LevelMetrics
    after_level = LevelMetrics(trainer, source, make_extractor("inception"), num_images=2000,
                               csv_path=f"{run_dir}/logs/levels.csv", plot_path=f"{run_dir}/plots/levels.png")
    train_progressive(..., after_level=after_level)

Each level is measured at its own resolution: ``num_images`` real images of ``source`` (the same seeded subset at
every level) and as many EMA-generator samples (fixed latents, alpha = 1, no truncation), both quantised to uint8
and resized by the extractor to its input size. A row per level goes to ``csv_path`` (written atomically, so a
crash never leaves half a file); the curve over resolutions is redrawn at ``plot_path``.
"""

from __future__ import annotations

import csv
import os

import numpy as np

from zoo.metrics.image_sets import ImageSet


class LevelMetrics:
    """``after_level(level)`` hook of ``train_progressive``: measures ``trainer.ema_generator`` at ``level``.

    ``trainer``: a ``ProgressiveTrainer``; ``source``: the training ``ImageSource``; ``extractor``: a
    ``zoo.metrics.features.FeatureExtractor``. ``history`` holds the rows measured so far (also those already in
    ``csv_path`` from before a resume).
    """

    def __init__(self, trainer, source, extractor, *, num_images: int = 2000, batch_size: int = 50, seed: int = 0,
                 kid_subsets: int = 100, kid_subset_size: int = 1000, csv_path: str | None = None,
                 plot_path: str | None = None):
        if num_images < 2:
            raise ValueError(f"per-level evaluation needs at least 2 images, got {num_images}")
        self.trainer, self.source, self.extractor = trainer, source, extractor
        self.num_images, self.batch_size, self.seed = int(num_images), int(batch_size), int(seed)
        self.kid_subsets, self.kid_subset_size = int(kid_subsets), int(kid_subset_size)
        self.csv_path, self.plot_path = csv_path, plot_path
        tag = extractor.metric_prefix
        self.fd_name, self.kid_name = ("fid" if not tag else "fd" + tag), "kid" + tag
        self.history: list[dict] = []
        if csv_path and os.path.isfile(csv_path):
            with open(csv_path, newline="") as f:
                self.history = list(csv.DictReader(f))

    def done(self, level) -> bool:
        """Whether ``history`` (levels.csv) has a row for ``level`` (a ``Level``)."""
        return any(int(r["level"]) == level.index for r in self.history)

    def measure(self, level: int, resolution: int) -> dict:
        """{fd name: value, kid name: value, kid name + "_std": value} of the EMA generator at ``level``."""
        from zoo.metrics.fid import statistics_distance
        from zoo.metrics.kid import kernel_distance
        from zoo.metrics.measure import measure_images

        channels = int(getattr(self.trainer.generator, "channels", 3))
        real = ImageSet("training data", "dataset", resolution, channels, len(self.source), {}, source=self.source)
        sampler = self.trainer.sync_ema()  # the EMA weights, copied once for the whole measurement

        def generate(z, training=False):
            return sampler(z, level=level, alpha=1.0, training=training)

        fake = ImageSet("EMA generator", "generator", resolution, channels, None, {}, generator=generate,
                        latent_dim=self.trainer.latent_dim)
        n = real.size_for(self.num_images)
        m_real = measure_images(real.batches(n, self.batch_size, self.seed, resolution, channels), self.extractor,
                                keep_features=True, total=n, description=f"real {resolution} px")
        m_fake = measure_images(fake.batches(n, self.batch_size, self.seed, resolution, channels), self.extractor,
                                keep_features=True, total=n, description=f"generated {resolution} px")
        kid, kid_std = kernel_distance(m_real.features, m_fake.features, self.kid_subsets,
                                       min(self.kid_subset_size, n), seed=self.seed)
        return {self.fd_name: statistics_distance(m_real.statistics, m_fake.statistics), self.kid_name: kid,
                self.kid_name + "_std": kid_std}

    def __call__(self, level) -> dict:
        values = self.measure(level.index, level.resolution)
        row = {"level": level.index, "resolution": level.resolution,
               "images_seen": int(self.trainer.images_seen.numpy()), "images": self.num_images, **values,
               "extractor": self.extractor.name}
        self.history = [r for r in self.history if int(r["level"]) != level.index] + [row]
        print(f"level {level.index} ({level.resolution} px): " + ", ".join(f"{k} {v:.4g}" for k, v in values.items())
              + f" ({self.extractor.name} features, {self.num_images} images)", flush=True)
        if self.csv_path:
            self._write()
        if self.plot_path:
            self._plot()
        return row

    def _write(self):
        from zoo.utils.io import atomic_path

        os.makedirs(os.path.dirname(os.path.abspath(self.csv_path)), exist_ok=True)
        fields = list(self.history[-1])
        with atomic_path(self.csv_path) as tmp, open(tmp, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(self.history)

    def _plot(self):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from zoo.utils.io import atomic_path

        rows = sorted(self.history, key=lambda r: int(r["resolution"]))
        res = [int(r["resolution"]) for r in rows]
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
        for ax, key in zip(axes, (self.fd_name, self.kid_name)):
            values = np.array([float(r[key]) for r in rows])
            ax.plot(res, values, marker="o")
            if key == self.kid_name:
                std = np.array([float(r[key + "_std"]) for r in rows])
                ax.fill_between(res, values - std, values + std, alpha=0.2)
            ax.set_xscale("log", base=2)
            ax.set_xticks(res, [str(r) for r in res])
            ax.set_xlabel("level resolution (px)")
            ax.set_ylabel(key.upper() if key in ("fid", "kid") else key)
        fig.suptitle(f"end of each level, {self.extractor.name} features")
        fig.tight_layout()
        os.makedirs(os.path.dirname(os.path.abspath(self.plot_path)), exist_ok=True)
        with atomic_path(self.plot_path) as tmp:
            fig.savefig(tmp, format="png", dpi=90)
        plt.close(fig)
