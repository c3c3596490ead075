"""The distance-during-training callback of a recipe: FD and KID of the model's samples to held-out real faces in a
classifier's features, every few epochs (``DistributionMetrics``), with the reference measured once at the start.

The reference is the validation part of the presets' split when the run trains on the train part
(``--train-on train``), else the run's dataset itself (CelebA: its train split), so the curve of a run that keeps
faces unseen is measured on faces it never trained on.
"""

from __future__ import annotations

import os


def reference_spec(cfg) -> tuple[str, str | None]:
    """(``--real`` spec, split) of the faces a run's distance curve is measured against."""
    spec = "synthetic" if cfg.data == "synthetic" else f"{cfg.data}:{cfg.data_dir or ''}"
    from zoo.training.cli import holds_out

    split = "validation" if holds_out(cfg) else None
    return spec, split


def distance_callback(cfg, run_dir: str, *, every_epochs: int, num_images: int, extractor: str,
                      metrics=("fid", "kid")):
    """A ``DistributionMetrics`` writing ``logs/distance.csv`` and ``plots/distance.png`` in ``run_dir``."""
    from zoo.metrics.callbacks import DistributionMetrics
    from zoo.metrics.features import make_extractor
    from zoo.metrics.image_sets import resolve
    from zoo.metrics.measure import measure_images

    features = make_extractor(extractor)
    spec, split = reference_spec(cfg)
    real = resolve(spec, real=True, split=split, image_size=cfg.image_size, num_synthetic=max(num_images, 2),
                   seed=cfg.seed)
    n = real.size_for(num_images)
    m = measure_images(real.batches(n, 50, seed=0, resolution=cfg.image_size), features, keep_features=True,
                       total=n, progress=False)
    subset = max(2, min(1000, n // 2))
    return DistributionMetrics(features, m.statistics, reference_features=m.features, every_epochs=every_epochs,
                               num_images=num_images, metrics=metrics, resolution=cfg.image_size,
                               kid_subset_size=subset, kid_subsets=50, seed=cfg.seed,
                               csv_path=os.path.join(run_dir, "logs", "distance.csv"),
                               plot_path=os.path.join(run_dir, "plots", "distance.png"))
