"""Loss curves from a run's metrics.csv: one panel per logged quantity, sharing the step axis."""

from __future__ import annotations

from zoo.training.metrics_file import read_metrics
from zoo.utils.io import atomic_path


def plot_metrics(csv_path: str, png_path: str, skip=("step", "epoch", "seconds")) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = read_metrics(csv_path)[1]
    if not rows:
        return
    keys = [k for k in rows[0] if k not in skip]
    steps = [float(r["step"]) for r in rows]
    fig, axes = plt.subplots(len(keys), 1, figsize=(7, 2.2 * len(keys)), sharex=True, squeeze=False)
    for ax, key in zip(axes[:, 0], keys):
        pts = [(s, float(r[key])) for s, r in zip(steps, rows) if r.get(key) not in ("", None)]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], lw=1.2)
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel("step")
    fig.tight_layout()
    with atomic_path(png_path) as tmp:
        fig.savefig(tmp, dpi=90, format="png")
    plt.close(fig)
