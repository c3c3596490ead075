"""bench.vae_grid: paper 003's grid, each model's restoration at two noise levels beside the filters on the same
damaged faces, the tables rendered from the JSON it writes."""

import os

import pytest

from bench import vae_grid
from recipes import utkface_vae
from tests.recipes._family import TINY, only_run


@pytest.fixture(scope="module")
def grid_docs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("grid")
    out = str(tmp / "r")
    assert utkface_vae.main([*TINY, "--grid", "--base-filters", "4", "--dense-units", "8", "--out", out]) == 0
    docs = str(tmp / "docs")
    assert vae_grid.main(["--grid", only_run(out, "utkface_vae"), "--name", "tiny", "--data", "synthetic",
                          "--count", "6", "--out", docs]) == 0
    return docs


def test_every_model_restores_the_same_damaged_faces_at_both_noise_levels(grid_docs):
    from docs.vae_grid import load

    result = load(grid_docs, "tiny")
    assert list(result["models"]) == ["M(4, 1)", "M(4, 0.01)", "M(256, 1)", "M(256, 0.01)"]
    tables = [m["restoration"] for m in result["models"].values()]
    for table in tables:
        assert list(table) == ["clean", "noise 0.2", "noise 0.5", "erase"]
        assert set(table["noise 0.5"]) == {"damaged", "mean_filter", "median_filter", "vae"}
        # the stronger noise leaves a worse input, and a box filter repairs strong noise
        assert table["noise 0.5"]["damaged"]["psnr"]["mean"] < table["noise 0.2"]["damaged"]["psnr"]["mean"]
        assert table["noise 0.5"]["mean_filter"]["psnr"]["mean"] > table["noise 0.5"]["damaged"]["psnr"]["mean"]
    # the same faces and the same noise for every model: the filters' rows agree exactly
    assert all(t["noise 0.5"]["mean_filter"] == tables[0]["noise 0.5"]["mean_filter"] for t in tables)
    assert result["models"]["M(4, 1)"]["restored_faces"] == 6
    assert "--split test" in result["models"]["M(4, 1)"]["restore_command"]
    for image in ("vae_grid_tiny.png", "vae_grid_tiny_restoration.png"):
        assert os.path.isfile(os.path.join(grid_docs, "images", image))


def test_the_tables_render_from_the_json_through_docs_generate(grid_docs):
    from docs.generate import render

    text = render("vae-grid tiny", "unused", grid_docs)
    lines = text.splitlines()
    assert sum(line.startswith("| M(") for line in lines) == 4  # one row per model in the first table
    assert sum(line.startswith("| damage |") and line.count("M(") == 4 for line in lines) == 1  # a column each
    assert "| noise 0.5 |" in text and "| clean |" in text and "6 test faces" in text


@pytest.mark.parametrize("kl, word", [(0.0009, "collapsed"), (4.1e13, "exploded"), (6.9, "6.9")])
def test_the_kl_at_the_end_says_whether_the_posterior_collapsed_or_exploded(kl, word):
    from docs.vae_grid import _state

    assert word in _state(kl)


def test_a_folder_that_is_not_a_finished_grid_is_refused(tmp_path, capsys):
    assert vae_grid.main(["--grid", str(tmp_path), "--name", "x", "--out", str(tmp_path / "docs")]) == 2
    assert "no comparison.json" in capsys.readouterr().err and not (tmp_path / "docs").exists()
