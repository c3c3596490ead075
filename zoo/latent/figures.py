"""Figures of the latent tools (matplotlib Agg, PNG written atomically): PCA spectra, labelled image grids,
classifier response along an edit, latent scatter, mean faces, projection trajectory."""

from __future__ import annotations

import numpy as np

from zoo.utils.plotting import new_figure, save_figure
from zoo.utils.images import to_uint8


def plot_spectra(path: str, spectra: dict, top: int = 50, title: str = "") -> None:
    """``spectra``: model name -> explained-variance ratios [K]. Left: ratio per component (log scale);
    right: cumulative explained variance; all models on the same axes."""
    plt, fig = new_figure(figsize=(10, 4))
    ax1, ax2 = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    for name, ratio in spectra.items():
        r = np.asarray(ratio)[:top]
        k = np.arange(1, len(r) + 1)
        ax1.semilogy(k, r, marker=".", label=name)
        ax2.plot(k, np.cumsum(r), marker=".", label=name)
    ax1.set(xlabel="component", ylabel="explained variance ratio", title="spectrum")
    ax2.set(xlabel="number of components", ylabel="cumulative explained variance", ylim=(0, 1.02),
            title="cumulative")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    save_figure(plt, fig, path)


def plot_image_grid(path: str, images, rows: int, row_labels=(), col_labels=(), title: str = "",
                    cell: float = 0.75) -> None:
    """images [rows * cols, H, W, C] in [-1, 1] as a grid with row and column labels."""
    imgs = to_uint8(images)
    cols = len(imgs) // rows
    width = cell * cols + 1.2
    title = wrap_title(title, width, 9) if title else ""
    plt, fig = new_figure(figsize=(width, cell * rows + 0.6 + 0.16 * title.count("\n")))
    for i, img in enumerate(imgs[:rows * cols]):
        ax = fig.add_subplot(rows, cols, i + 1)
        ax.imshow(img[..., 0] if img.shape[-1] == 1 else img, cmap="gray" if img.shape[-1] == 1 else None,
                  vmin=0, vmax=255)
        ax.set_xticks([])
        ax.set_yticks([])
        r, c = divmod(i, cols)
        if c == 0 and r < len(row_labels):
            ax.set_ylabel(str(row_labels[r]), fontsize=7)
        if r == 0 and c < len(col_labels):
            ax.set_title(str(col_labels[c]), fontsize=7)
    if title:
        fig.suptitle(title, fontsize=9)
    save_figure(plt, fig, path)


def wrap_title(text: str, width_inches: float, fontsize: float) -> str:
    """``text`` broken into lines that fit a figure ``width_inches`` wide at ``fontsize`` points (an average
    glyph is about 0.6 em wide), so a long title is not cut off at the figure's edges. A line break in ``text``
    stays one (each of its lines is wrapped on its own)."""
    import textwrap

    width = max(10, int(width_inches * 72 / (0.6 * fontsize)))
    return "\n".join(textwrap.fill(line, width, break_long_words=True, break_on_hyphens=False) if line else ""
                     for line in text.split("\n"))


def _mean_and_spread(ax, intensities, responses: dict, ylabel: str, title: str) -> None:
    """Each ``responses`` entry (name -> [N, T]) as its mean over N with a +- std band, on ``ax``."""
    for name, s in responses.items():
        s = np.asarray(s)
        m, sd = s.mean(0), s.std(0)
        ax.plot(intensities, m, marker="o", label=name)
        ax.fill_between(intensities, m - sd, m + sd, alpha=0.2)
    ax.set(xlabel="edit intensity", ylabel=ylabel, title=title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)


def plot_edit_response(path: str, intensities, responses: dict, ylabel: str, title: str = "") -> None:
    """A classifier's mean output (and its spread) along an edit: ``responses`` name -> [N, T] scores."""
    plt, fig = new_figure(figsize=(5, 3.5))
    _mean_and_spread(fig.add_subplot(1, 1, 1), intensities, responses, ylabel, title)
    save_figure(plt, fig, path)


def plot_edit_identity(path: str, intensities, distances, responses: dict | None = None, ylabel: str | None = None,
                       title: str = "", threshold: float = 0.6) -> None:
    """Identity distance from the unedited face along an edit (``distances`` [N, T], mean +- std, dlib's
    same-person ``threshold`` dashed), on the right of the classifier's response (``responses`` name -> [N, T]
    scores, ``ylabel``) when one is given."""
    panels = 2 if responses else 1
    plt, fig = new_figure(figsize=(5 * panels, 3.5))
    if responses:
        _mean_and_spread(fig.add_subplot(1, 2, 1), intensities, responses, ylabel, "classifier")
    ax = fig.add_subplot(1, panels, panels)
    d = np.asarray(distances)
    share = (d < threshold).mean(0)
    _mean_and_spread(ax, intensities, {"distance from unedited": d}, "identity distance (dlib)", "identity")
    ax.axhline(threshold, color="k", linestyle="--", linewidth=1, label=f"same person below {threshold}")
    for x, y, s in zip(intensities, d.mean(0), share):
        ax.annotate(f"{100 * s:.0f}%", (x, y), textcoords="offset points", xytext=(0, 6), fontsize=7, ha="center")
    ax.legend(fontsize=8)
    if title:
        fig.suptitle(f"{title} (labels: share under {threshold})", fontsize=9)
    save_figure(plt, fig, path)


def plot_scatter(path: str, points, labels, label_names=None, title: str = "", axis_names=("dim 1", "dim 2")) -> None:
    """2-D points [N, 2] coloured by integer labels [N] (``label_names`` index -> name)."""
    plt, fig = new_figure(figsize=(5.5, 4.5))
    ax = fig.add_subplot(1, 1, 1)
    points, labels = np.asarray(points), np.asarray(labels)
    for v in np.unique(labels):
        sel = labels == v
        name = label_names[int(v)] if label_names is not None and int(v) < len(label_names) else str(v)
        ax.scatter(points[sel, 0], points[sel, 1], s=6, alpha=0.6, label=f"{name} ({int(sel.sum())})")
    ax.set(xlabel=axis_names[0], ylabel=axis_names[1], title=title)
    ax.legend(fontsize=7, markerscale=2)
    save_figure(plt, fig, path)


def plot_projection(path: str, target, frames, steps, losses, target_label: str = "target", title: str = "") -> None:
    """Target (titled ``target_label``), the trajectory's images at the recorded steps, and the loss curve, under
    ``title`` (e.g. the photo -> projection identity distance)."""
    frames = to_uint8(frames)
    n = len(frames) + 1
    plt, fig = new_figure(figsize=(1.3 * n, 3.8))
    for i, (img, label) in enumerate([(to_uint8(target), target_label)] + [(f, f"step {s}") for f, s in
                                                                       zip(frames, steps)]):
        ax = fig.add_subplot(2, n, i + 1)
        ax.imshow(img[..., 0] if img.shape[-1] == 1 else img, cmap="gray" if img.shape[-1] == 1 else None)
        ax.set_title(label, fontsize=7)
        ax.axis("off")
    ax = fig.add_subplot(2, 1, 2)
    ax.semilogy(np.asarray(losses))
    ax.set(xlabel="step", ylabel="loss")
    ax.grid(alpha=0.3)
    if title:
        fig.suptitle(wrap_title(title, 1.3 * n, 8), fontsize=8)
    save_figure(plt, fig, path)
