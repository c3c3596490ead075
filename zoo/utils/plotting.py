"""The one way the library opens and writes a matplotlib figure: Agg backend (no display), PNG written atomically."""

from __future__ import annotations

from zoo.utils.io import atomic_path


def new_figure(**kwargs):
    """``(pyplot, figure)``: a new figure (``kwargs`` to ``plt.figure``, e.g. ``figsize``) on the Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt, plt.figure(**kwargs)


def save_figure(plt, fig, path: str, dpi: int = 110) -> None:
    """Lay ``fig`` out tightly, write it to ``path`` as PNG (temporary name, then rename) and close it."""
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi)
    plt.close(fig)
