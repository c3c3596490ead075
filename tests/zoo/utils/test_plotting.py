import os

from zoo.utils.plotting import new_figure, save_figure


def test_save_figure_writes_a_png_atomically_and_closes_the_figure(tmp_path):
    plt, fig = new_figure(figsize=(2, 2))
    fig.add_subplot(1, 1, 1).plot([0, 1], [1, 0])
    path = str(tmp_path / "sub" / "plot.png")
    os.makedirs(os.path.dirname(path))
    save_figure(plt, fig, path)
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert os.listdir(os.path.dirname(path)) == ["plot.png"]  # no temporary file left beside it
    assert not plt.fignum_exists(fig.number)
