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
