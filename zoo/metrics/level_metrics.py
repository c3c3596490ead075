"""FID/KID (or FD/KID in another extractor's features) of a progressive GAN at the end of each level.

    from zoo.metrics.level_metrics import LevelMetrics
    after_level = LevelMetrics(trainer, source, make_extractor("inception"), num_images=2000,
                               csv_path=f"{run_dir}/logs/levels.csv", plot_path=f"{run_dir}/plots/levels.png")
    train_progressive(..., after_level=after_level)

Each level is measured at its own resolution: ``num_images`` real images of ``source`` (the same seeded subset at
every level) and as many EMA-generator samples (fixed latents, alpha = 1, no truncation), both quantised to uint8
and resized by the extractor to its input size. A row per level goes to ``csv_path`` (written atomically, so a
crash never leaves half a file); the curve over resolutions is redrawn at ``plot_path``.

Inside a level (``WithinLevelMetrics``, ``--eval-every-kimg``) the same measurement runs every so many real images
at the fade-in's current alpha, as ProGAN evaluated its snapshots: the generator's output is
``alpha x_l + (1 - alpha) Up(x_{l-1})`` and the real images are faded alike (``fade_reals``: each 2x2 block's mean
blended in by 1 - alpha), so that a fade-in is compared with what it should draw, not with sharper faces. Those
rows say ``when = within`` (the end-of-level ones ``end``) and are drawn over images seen at ``*_within.png``.
"""

from __future__ import annotations

import csv
import os

import keras
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
        """Whether ``history`` (levels.csv) has the end-of-level row of ``level`` (a ``Level``)."""
        return any(int(r["level"]) == level.index and _is_end(r) for r in self.history)

    def measure(self, level: int, resolution: int, alpha: float = 1.0) -> dict:
        """{fd name: value, kid name: value, kid name + "_std": value} of the EMA generator at ``level`` and fade-in
        ``alpha``, against real images faded by the same ``alpha`` (themselves at 1)."""
        from zoo.metrics.fid import statistics_distance
        from zoo.metrics.kid import kernel_distance
        from zoo.metrics.measure import measure_images

        channels = int(getattr(self.trainer.generator, "channels", 3))
        real = ImageSet("training data", "dataset", resolution, channels, len(self.source), {}, source=self.source)
        sampler = self.trainer.sync_ema()  # the EMA weights, copied once for the whole measurement

        def generate(z, training=False):
            return sampler(z, level=level, alpha=alpha, training=training)

        fake = ImageSet("EMA generator", "generator", resolution, channels, None, {}, generator=generate,
                        latent_dim=self.trainer.latent_dim)
        n = real.size_for(self.num_images)
        reals = real.batches(n, self.batch_size, self.seed, resolution, channels)
        if alpha < 1.0:
            reals = reals.map(lambda images: faded_uint8(images, alpha))
        m_real = measure_images(reals, self.extractor, keep_features=True, total=n,
                                description=f"real {resolution} px" + (f", alpha {alpha:.2f}" if alpha < 1 else ""))
        m_fake = measure_images(fake.batches(n, self.batch_size, self.seed, resolution, channels), self.extractor,
                                keep_features=True, total=n, description=f"generated {resolution} px")
        kid, kid_std = kernel_distance(m_real.features, m_fake.features, self.kid_subsets,
                                       min(self.kid_subset_size, n), seed=self.seed)
        return {self.fd_name: statistics_distance(m_real.statistics, m_fake.statistics), self.kid_name: kid,
                self.kid_name + "_std": kid_std}

    def __call__(self, level) -> dict:
        """The end-of-level row of ``level`` (alpha 1), replacing an earlier one of the same level."""
        return self._record(level, 1.0, "end")

    def within(self, level, alpha: float) -> dict:
        """A row measured inside ``level`` at the fade-in's ``alpha`` (kept beside the level's other rows)."""
        return self._record(level, alpha, "within")

    def _record(self, level, alpha: float, when: str) -> dict:
        values = self.measure(level.index, level.resolution, alpha)
        row = {"level": level.index, "resolution": level.resolution,
               "images_seen": int(self.trainer.images_seen.numpy()),
               "level_images": int(self.trainer.level_images.numpy()), "alpha": round(float(alpha), 4),
               "when": when, "images": self.num_images, **values, "extractor": self.extractor.name}
        if when == "end":
            self.history = [r for r in self.history if int(r["level"]) != level.index or not _is_end(r)]
        self.history.append(row)
        print(f"level {level.index} ({level.resolution} px{'' if when == 'end' else f', alpha {alpha:.2f}'}): "
              + ", ".join(f"{k} {v:.4g}" for k, v in values.items())
              + f" ({self.extractor.name} features, {self.num_images} images)", flush=True)
        if self.csv_path:
            self._write()
        if self.plot_path:
            self._plot()
            if any(not _is_end(r) for r in self.history):
                self._plot_within()
        return row

    def measured_within(self, level_index: int) -> int:
        """The most images into level ``level_index`` at which a within-level row was measured (0: none)."""
        return max((int(r["level_images"]) for r in self.history
                    if int(r["level"]) == level_index and not _is_end(r)), default=0)

    def _write(self):
        from zoo.utils.io import atomic_path

        os.makedirs(os.path.dirname(os.path.abspath(self.csv_path)), exist_ok=True)
        fields = list(dict.fromkeys(k for r in self.history for k in r))  # rows of an older run may lack a column
        with atomic_path(self.csv_path) as tmp, open(tmp, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore", restval="")
            writer.writeheader()
            writer.writerows(self.history)

    def _plot(self):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from zoo.utils.io import atomic_path

        rows = sorted((r for r in self.history if _is_end(r)), key=lambda r: int(r["resolution"]))
        if not rows:
            return
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

    def _plot_within(self):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from zoo.utils.io import atomic_path

        fig, ax = plt.subplots(figsize=(8, 3.4))
        for level in sorted({int(r["level"]) for r in self.history}):
            rows = sorted((r for r in self.history if int(r["level"]) == level), key=lambda r: int(r["images_seen"]))
            x = [int(r["images_seen"]) / 1000 for r in rows]
            line, = ax.plot(x, [float(r[self.fd_name]) for r in rows], marker="o", ms=3,
                            label=f"level {level} ({rows[0]['resolution']} px)")
            ends = [(xi, float(r[self.fd_name])) for xi, r in zip(x, rows) if _is_end(r)]
            if ends:
                ax.plot(*zip(*ends), marker="*", ms=11, ls="", color=line.get_color())
        ax.set_xlabel("real images seen (thousands)")
        ax.set_ylabel(self.fd_name.upper() if self.fd_name == "fid" else self.fd_name)
        ax.set_title(f"inside each level (reals faded like the output; star: end of level), {self.extractor.name}",
                     fontsize=9)
        ax.legend(fontsize=8)
        fig.tight_layout()
        root, ext = os.path.splitext(self.plot_path)
        with atomic_path(root + "_within" + ext) as tmp:
            fig.savefig(tmp, format="png", dpi=90)
        plt.close(fig)


def _is_end(row: dict) -> bool:
    return row.get("when", "end") in ("end", "", None)  # rows written before within-level rows have no "when"


def faded_uint8(images, alpha: float):
    """uint8 real images [B, R, R, C] faded as the discriminator sees them during a fade-in at ``alpha``
    (``fade_reals``), quantised back to uint8."""
    import tensorflow as tf

    from zoo.data.transforms import to_uint8
    from zoo.trainers.progressive_trainer import fade_reals

    return to_uint8(fade_reals(tf.cast(images, tf.float32) / 127.5 - 1.0, alpha))


class WithinLevelMetrics(keras.callbacks.Callback):
    """A Keras callback of ``train_progressive`` (``extra_callbacks``): ``metrics.within`` every ``every_images``
    real images inside each level of ``levels`` (not at its end, which ``after_level`` measures), at the fade-in's
    alpha of that moment. After a resume it goes on from the last row the level has in ``metrics.history``."""

    def __init__(self, metrics: LevelMetrics, levels, every_images: int):
        super().__init__()
        if every_images < 1:
            raise ValueError(f"within-level evaluation needs a positive image interval, got {every_images}")
        self.metrics, self.every = metrics, int(every_images)
        self.levels = {lv.index: lv for lv in levels}

    def on_train_batch_end(self, batch, logs=None):
        trainer = self.metrics.trainer
        lv = self.levels.get(int(trainer.level.numpy()))
        seen = int(trainer.level_images.numpy())
        if lv is None or seen >= lv.images:  # the level's end is after_level's
            return
        if seen // self.every > self.metrics.measured_within(lv.index) // self.every:
            self.metrics.within(lv, float(trainer.current_alpha()))
