"""bench.vae_grid: paper 003's grid, each model's restoration at two noise levels beside the filters on the same
damaged faces, the tables rendered from the JSON it writes."""

import json
import os

import pytest

from bench import vae_grid
from recipes import utkface_vae
from tests.recipes._family import TINY, only_run


@pytest.fixture(scope="module")
def grid_run(tmp_path_factory):
    """One tiny grid (recipes.utkface_vae --grid), trained once for this module's tests."""
    out = str(tmp_path_factory.mktemp("grid") / "r")
    assert utkface_vae.main([*TINY, "--grid", "--base-filters", "4", "--dense-units", "8", "--out", out]) == 0
    return only_run(out, "utkface_vae")


@pytest.fixture(scope="module")
def grid_docs(grid_run, tmp_path_factory):
    docs = str(tmp_path_factory.mktemp("grid_docs"))
    assert vae_grid.main(["--grid", grid_run, "--name", "tiny", "--data", "synthetic", "--count", "6",
                          "--out", docs]) == 0
    return docs


def test_grid_trains_the_four_models_and_writes_the_comparison(grid_run):
    summary = json.load(open(os.path.join(grid_run, "comparison.json")))
    assert summary["rows"] == ["input", "M(4, 1)", "M(4, 0.01)", "M(256, 1)", "M(256, 0.01)"]
    # Held out: the 10% test split of 16 synthetic faces (2 images), never trained on (14 are).
    assert summary["heldout"]["images"] == 2 and summary["heldout"]["trained_on"] == 14
    for model in summary["models"].values():
        assert model["steps"] == 2
        scores = model["heldout"]
        assert set(scores) == {"psnr", "ssim", "mse"} and scores["psnr"]["mean"] > 0 and 0 < scores["mse"]["mean"] < 1
        assert -1 <= scores["ssim"]["mean"] <= 1
        assert os.path.isfile(os.path.join(model["run_dir"], "reconstructions", "latest.png"))
    assert os.path.isfile(os.path.join(grid_run, "comparison.png"))
    sub = json.load(open(os.path.join(summary["models"]["M(256, 0.01)"]["run_dir"], "status.json")))
    assert sub["status"] == "finished"


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
