"""Plots of the classifier reports (matplotlib, Agg backend, written atomically as PNG)."""

from __future__ import annotations

import numpy as np

from zoo.utils.plotting import new_figure, save_figure


def plot_confusion(path: str, confusion, class_names, title: str = "") -> None:
    """Confusion matrix [K, K] (rows truth, columns prediction) with counts and row-normalised shading."""
    cm = np.asarray(confusion, np.float64)
    rows = cm / np.maximum(cm.sum(1, keepdims=True), 1)
    plt, fig = new_figure(figsize=(1.2 + 0.9 * len(class_names), 1.0 + 0.8 * len(class_names)))
    ax = fig.add_subplot(1, 1, 1)
    ax.imshow(rows, cmap="Blues", vmin=0, vmax=1)
    for i in range(cm.shape[0]):
        for j in range(cm.shape[1]):
            ax.text(j, i, f"{int(cm[i, j])}\n{rows[i, j]:.0%}", ha="center", va="center", fontsize=8,
                    color="white" if rows[i, j] > 0.5 else "black")
    ax.set_xticks(range(len(class_names)), class_names, rotation=30)
    ax.set_yticks(range(len(class_names)), class_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    save_figure(plt, fig, path)


def plot_age_histograms(path: str, observed, predicted, title: str = "") -> None:
    """Overlaid histograms of observed and predicted ages (years, 5-year bins)."""
    plt, fig = new_figure(figsize=(6, 3.5))
    ax = fig.add_subplot(1, 1, 1)
    hi = max(float(np.max(observed)), float(np.max(predicted)), 5.0)
    bins = np.arange(0, hi + 5, 5)
    ax.hist(observed, bins=bins, alpha=0.55, label="observed")
    ax.hist(predicted, bins=bins, alpha=0.55, label="predicted")
    ax.set_xlabel("age (years)")
    ax.set_ylabel("images")
    ax.legend()
    ax.set_title(title)
    save_figure(plt, fig, path)


def plot_accuracy_by_bucket(path: str, buckets: list[dict], title: str = "") -> None:
    """Bars of accuracy per age bucket (from ``accuracy_by_bucket``), annotated with the bucket sizes."""
    plt, fig = new_figure(figsize=(6, 3.5))
    ax = fig.add_subplot(1, 1, 1)
    x = np.arange(len(buckets))
    acc = [b["accuracy"] for b in buckets]
    ax.bar(x, acc, color="tab:blue")
    for i, b in enumerate(buckets):
        ax.text(i, b["accuracy"] + 0.01, f"{b['accuracy']:.2f}\nn={b['count']}", ha="center", fontsize=7)
    ax.set_xticks(x, [b["bucket"] for b in buckets])
    ax.set_ylim(0, 1.15)
    ax.set_xlabel("true age (years)")
    ax.set_ylabel("accuracy")
    ax.set_title(title)
    save_figure(plt, fig, path)


def plot_class_balance(path: str, gender, ethnicity, age, gender_names, ethnicity_names, title: str = "") -> None:
    """Three panels: gender counts, ethnicity counts and the age histogram of a dataset."""
    plt, fig = new_figure(figsize=(12, 3.5))
    for k, (codes, names, name) in enumerate(((gender, gender_names, "gender"),
                                              (ethnicity, ethnicity_names, "ethnicity"))):
        ax = fig.add_subplot(1, 3, k + 1)
        counts = np.bincount(np.asarray(codes, int), minlength=len(names))[:len(names)]
        ax.bar(range(len(names)), counts, color="tab:green")
        for i, c in enumerate(counts):
            ax.text(i, c, str(int(c)), ha="center", va="bottom", fontsize=8)
        ax.set_xticks(range(len(names)), names, rotation=20)
        ax.set_title(f"{name} ({title})" if title else name)
    ax = fig.add_subplot(1, 3, 3)
    ax.hist(np.asarray(age), bins=np.arange(0, max(int(np.max(age)), 5) + 5, 5), color="tab:orange")
    ax.set_xlabel("age (years)")
    ax.set_title("age")
    save_figure(plt, fig, path)


def plot_predictions(path: str, images, captions, cols: int = 8) -> None:
    """A grid of images [N, H, W, C] (float in [-1, 1] or uint8) each titled with its caption (prediction vs
    truth)."""
    from zoo.utils.images import to_uint8

    imgs = to_uint8(images)
    n = len(imgs)
    rows = int(np.ceil(n / cols))
    plt, fig = new_figure(figsize=(1.9 * cols, 2.2 * rows))
    for i in range(n):
        ax = fig.add_subplot(rows, cols, i + 1)
        img = imgs[i]
        ax.imshow(img[..., 0] if img.shape[-1] == 1 else img, cmap="gray" if img.shape[-1] == 1 else None,
                  vmin=0, vmax=255)
        ax.set_title(captions[i], fontsize=6.5)
        ax.axis("off")
    save_figure(plt, fig, path)


def plot_training_curves(path: str, steps, epochs, losses: dict, validation: list[dict], best_epoch: int | None,
                         title: str = "") -> None:
    """Left: each training loss by step, one colour per epoch (the logged values are running means that restart at
    each epoch). Right: the validation metrics by epoch (accuracies, and age MAE on its own axis), the best epoch
    (the weights kept) marked."""
    import matplotlib.cm as cm

    steps, epochs = np.asarray(steps, float), np.asarray(epochs, int)
    plt, fig = new_figure(figsize=(12, 4.2))
    ax = fig.add_subplot(1, 2, 1)
    colours = cm.viridis(np.linspace(0, 1, max(int(epochs.max()) + 1, 1) if len(epochs) else 1))
    styles = dict(zip(losses, ("-", "--", ":", "-.")))
    for name, values in losses.items():
        values = np.asarray(values, float)
        for e in np.unique(epochs):
            at = epochs == e
            ax.plot(steps[at], values[at], styles.get(name, "-"), color=colours[e], lw=1.4,
                    label=name if e == epochs.min() else None)
    if len(epochs):
        sm = cm.ScalarMappable(cmap="viridis", norm=plt.Normalize(int(epochs.min()) + 1, int(epochs.max()) + 1))
        fig.colorbar(sm, ax=ax, label="epoch")
    ax.set_xlabel("step")
    ax.set_ylabel("training loss (running mean in the epoch)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax = fig.add_subplot(1, 2, 2)
    x = [int(r["epoch"]) for r in validation]
    for key in ("gender_accuracy", "ethnicity_accuracy"):
        if validation and key in validation[0]:
            ax.plot(x, [float(r[key]) for r in validation], "o-", label=key.replace("_", " "))
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation accuracy")
    handles = []
    if validation and "age_mae" in validation[0]:
        twin = ax.twinx()
        handles += twin.plot(x, [float(r["age_mae"]) for r in validation], "s-", color="C3", label="age MAE (years)")
        twin.set_ylabel("validation age MAE (years)", color="C3")
    if best_epoch is not None:
        ax.axvline(best_epoch, color="grey", ls=":", label=f"best epoch ({best_epoch}): the weights kept")
    ax.grid(alpha=0.3)
    handles = ax.get_legend_handles_labels()[0] + handles
    if handles:
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, fontsize=8)
    fig.suptitle(title)
    save_figure(plt, fig, path)


def plot_feature_maps(path: str, image, maps: list[tuple[str, object]], per_layer: int = 8, title: str = "") -> None:
    """The input face, then one row per layer: its ``per_layer`` most active channels (mean activation over the
    face), each scaled to its own range, with the layer's name and shape."""
    rows = len(maps) + 1
    plt, fig = new_figure(figsize=(1.25 * per_layer, 1.3 * rows))
    img = np.asarray(image, float)
    ax = fig.add_subplot(rows, per_layer, 1)
    ax.imshow(img[..., 0] if img.shape[-1] == 1 else (img + 1) / 2, cmap="gray", vmin=-1, vmax=1)
    ax.set_title("input", fontsize=8)
    ax.axis("off")
    for r, (name, act) in enumerate(maps, start=1):
        act = np.asarray(act, float)
        top = np.argsort(-act.mean(axis=(0, 1)))[:per_layer]
        for c, k in enumerate(top):
            ax = fig.add_subplot(rows, per_layer, r * per_layer + c + 1)
            ax.imshow(act[..., k], cmap="magma")
            ax.axis("off")
            if c == 0:
                ax.set_title(f"{name} {act.shape[0]}x{act.shape[1]}x{act.shape[2]}", fontsize=7, loc="left")
    fig.suptitle(title)
    save_figure(plt, fig, path)
