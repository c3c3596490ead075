"""Training callback: FID (or the Frechet distance in another extractor's features) and KID every N epochs.

    from zoo.metrics.callbacks import DistributionMetrics
    cb = DistributionMetrics(extractor, reference_stats, every_epochs=5, num_images=2000, metrics=("fid", "kid"),
                             reference_features=feats, csv_path=f"{run_dir}/logs/fid.csv",
                             plot_path=f"{run_dir}/plots/fid.png")
    train(..., extra_callbacks=[cb])

Each evaluation draws the same latents (fixed seed), quantises the images to uint8, and appends a row
(step, epoch, metric values, extractor) to ``csv_path``; the curve is redrawn at ``plot_path``. Values are also
put into the epoch's logs for the callbacks after it.
"""

from __future__ import annotations

import csv
import os

import keras


class DistributionMetrics(keras.callbacks.Callback):
    """Every ``every_epochs`` epochs: ``num_images`` images from ``generator`` (default: the trained model's
    ``generator``, or ``decoder``) against ``reference`` (``FeatureStatistics``; ``reference_features`` [N, D]
    too for KID) in ``extractor``'s features."""

    def __init__(self, extractor, reference, *, generator=None, every_epochs: int = 1, num_images: int = 1000,
                 batch_size: int = 50, metrics=("fid",), reference_features=None, seed: int = 0,
                 kid_subsets: int = 100, kid_subset_size: int = 1000, resolution: int | None = None,
                 csv_path: str | None = None, plot_path: str | None = None):
        super().__init__()
        metrics = tuple(metrics)
        bad = [m for m in metrics if m not in ("fid", "kid")]
        if bad or not metrics:
            raise ValueError(f"metrics must be from ('fid', 'kid'), got {list(metrics)}")
        if "kid" in metrics and reference_features is None:
            raise ValueError("KID needs the reference features (reference_features=[N, D])")
        if every_epochs < 1 or num_images < 2:
            raise ValueError(f"every_epochs must be >= 1 and num_images >= 2, got {every_epochs} and {num_images}")
        self.extractor, self.reference, self.reference_features = extractor, reference, reference_features
        self.generator_model, self.every_epochs, self.num_images = generator, every_epochs, num_images
        self.batch_size, self.metrics, self.seed = batch_size, metrics, seed
        self.kid_subsets, self.kid_subset_size, self.resolution = kid_subsets, kid_subset_size, resolution
        self.csv_path, self.plot_path = csv_path, plot_path
        tag = extractor.metric_prefix
        self.names = {"fid": "fid" if not tag else "fd" + tag, "kid": "kid" + tag}
        self.history: list[dict] = []

    def _generator(self):
        if self.generator_model is not None:
            return self.generator_model
        for attr in ("generator", "decoder"):
            if getattr(self.model, attr, None) is not None:
                return getattr(self.model, attr)
        raise ValueError("DistributionMetrics: pass generator= (the trained model has no generator or decoder)")

    def evaluate(self) -> dict:
        """The metrics now, as {name: value}."""
        from zoo.metrics.fid import statistics_distance
        from zoo.metrics.image_sets import generator_set
        from zoo.metrics.kid import kernel_distance
        from zoo.metrics.measure import measure_images

        images = generator_set(self._generator(), "training", {})
        m = measure_images(images.batches(self.num_images, self.batch_size, self.seed, self.resolution),
                           self.extractor, keep_features="kid" in self.metrics, total=self.num_images,
                           progress=False)
        out = {}
        if "fid" in self.metrics:
            out[self.names["fid"]] = statistics_distance(self.reference, m.statistics)
        if "kid" in self.metrics:
            kid, std = kernel_distance(self.reference_features, m.features, self.kid_subsets, self.kid_subset_size,
                                       seed=self.seed)
            out[self.names["kid"]], out[self.names["kid"] + "_std"] = kid, std
        return out

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every_epochs:
            return
        values = self.evaluate()
        steps = getattr(self.model, "completed_steps", None)
        row = {"step": int(steps()) if callable(steps) else None, "epoch": epoch + 1, **values,
               "extractor": self.extractor.name}
        self.history.append(row)
        if logs is not None:
            logs.update(values)
        print(" - ".join(f"{k}: {v:.4g}" for k, v in values.items()) + f" ({self.extractor.name} features, "
              f"{self.num_images} images)", flush=True)
        if self.csv_path:
            self._append(row)
        if self.plot_path:
            self._plot()

    def _append(self, row):
        os.makedirs(os.path.dirname(os.path.abspath(self.csv_path)), exist_ok=True)
        new = not os.path.isfile(self.csv_path)
        with open(self.csv_path, "a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(row))
            if new:
                writer.writeheader()
            writer.writerow(row)

    def _plot(self):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from zoo.utils.io import atomic_path

        rows = self._rows()
        keys = [k for k in rows[0] if k not in ("step", "epoch", "extractor") and not k.endswith("_std")]
        fig, axes = plt.subplots(1, len(keys), figsize=(4.5 * len(keys), 3.2), squeeze=False)
        x_key = "step" if all(r["step"] not in (None, "") for r in rows) else "epoch"
        for ax, key in zip(axes[0], keys):
            xs = [float(r[x_key]) for r in rows]
            ys = [float(r[key]) for r in rows]
            ax.plot(xs, ys, marker="o")
            ax.set_xlabel(x_key)
            ax.set_ylabel(key)
            ax.set_title(f"{key} ({self.extractor.name})", fontsize=9)
            ax.grid(alpha=0.3)
        fig.tight_layout()
        os.makedirs(os.path.dirname(os.path.abspath(self.plot_path)), exist_ok=True)
        with atomic_path(self.plot_path) as tmp:
            fig.savefig(tmp, format="png", dpi=100)
        plt.close(fig)

    def _rows(self):
        """Every evaluation of the run so far (the CSV survives a resume), else this session's."""
        if self.csv_path and os.path.isfile(self.csv_path):
            with open(self.csv_path, newline="") as f:
                rows = list(csv.DictReader(f))
            if rows:
                return rows
        return self.history
