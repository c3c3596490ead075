"""docs.generate: the pages' figures from shipped files are current, and a changed file makes them stale."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest

from docs import generate
from tests.conftest import ROOT

PRESETS = os.path.join(ROOT, "zoo", "presets")


def test_every_page_is_current(capsys):
    code = generate.main(["--check"])
    assert code == 0, f"stale docs: {capsys.readouterr().out.strip()} (run `python -m docs.generate`)"


def test_the_pages_have_blocks_for_every_shipped_direction_set_and_the_presets_table():
    text = "".join(open(page, encoding="utf-8").read() for page in generate.pages(os.path.join(ROOT, "docs")))
    assert "<!-- generated:presets -->" in text and "<!-- generated:pca -->" in text
    for name in sorted(os.listdir(PRESETS)):
        if os.path.isfile(os.path.join(PRESETS, name, "directions.json")):
            assert f"<!-- generated:directions {name} -->" in text, f"{name}'s direction set has no table"


def _metadata(fd: float, floor: float, name: str = "dcgan_utkface_64") -> dict:
    return {"dataset": "utkface", "resolution": 64, "class_name": "DCGANGenerator", "parameters": 1_101_187,
            "steps_trained": 6000, "images_seen": 384000, "train_seconds": 2520.0, "recipe": "celeba_dcgan",
            "licence": "UTKFace: non-commercial research purposes only (https://example)",
            "config": {"precision": "float32"},
            "face_feature_distance": {generate.FD_KEY: {"mean": fd, "std": 0.2043},
                                      generate.KID_KEY: {"mean": 0.08333, "std": 0.00362},
                                      "real_vs_real_floor_FD": floor, "n": 2000, "repeats": 3}}


def _write(folder, name, file, data):
    os.makedirs(os.path.join(folder, name), exist_ok=True)
    with open(os.path.join(folder, name, file), "w", encoding="utf-8") as f:
        json.dump(data, f)


def test_presets_table_row_and_target_come_from_the_metadata(tmp_path):
    _write(tmp_path, "dcgan_utkface_64", "metadata.json", _metadata(3.95, 1.915))
    row = generate.render_presets(str(tmp_path)).splitlines()[2]
    assert row == ("| `dcgan_utkface_64` | `DCGANGenerator`, 1.10 M parameters | utkface, 64 px | 6,000 steps, 384,000 "
                   "images, 42 min | **4.0** ± 0.20 (1.92) | 0.0833 ± 0.0036 | <= 4: met | UTKFace: non-commercial "
                   "research purposes only |")
    _write(tmp_path, "dcgan_utkface_64", "metadata.json", _metadata(4.05, 1.915))  # issue 28's target: 4.0
    assert "<= 4: not met" in generate.render_presets(str(tmp_path))


def test_a_retrained_preset_makes_its_page_stale_until_regenerated(tmp_path, capsys):
    _write(tmp_path / "presets", "dcgan_utkface_64", "metadata.json", _metadata(7.095, 1.915))
    docs = tmp_path / "docs"
    docs.mkdir()
    page = docs / "presets.md"
    page.write_text("# Presets\n\n<!-- generated:presets -->\n<!-- /generated -->\n\nFD "
                    "<!-- generated:value dcgan_utkface_64 metadata:face_feature_distance.real_vs_real_floor_FD .2f "
                    "-->0<!-- /generated --> floor.\n")
    args = ["--docs", str(docs), "--presets", str(tmp_path / "presets")]
    assert generate.main(args + ["--check"]) == 1
    assert generate.main(args) == 0
    assert "**7.1** ± 0.20" in page.read_text() and "-->1.92<!-- /generated --> floor." in page.read_text()
    assert generate.main(args + ["--check"]) == 0
    _write(tmp_path / "presets", "dcgan_utkface_64", "metadata.json", _metadata(6.42, 1.915))  # retrained
    before = page.read_text()
    capsys.readouterr()
    assert generate.main(args + ["--check"]) == 1
    assert page.read_text() == before, "--check must not write"
    assert capsys.readouterr().out.strip().endswith("presets.md: presets")
    assert generate.main(args) == 0 and "**6.4** ± 0.20" in page.read_text()


def test_direction_and_pca_tables_from_a_known_set(tmp_path):
    info = {"space": "z", "latent_dim": 3, "pca": {"source": "sampled z", "samples": 3000},
            "directions": {
                "gender": {"method": "InterFaceGAN linear SVM on classifier scores",
                           "classifier": "classifier_gender_utkface_48", "samples": 3000,
                           "heldout_accuracy": 0.9472222, "num_train": 840, "num_heldout": 360,
                           "edit": {"classifier_output": "P(female)", "intensities": [-3.0, 0.0, 3.0],
                                    "mean_per_step": [0.011, 0.5456, 0.9987]}},
                "age": {"method": "mean difference of posterior means", "label": "age>=40", "positives": 634,
                        "examples": 2000, "svm": {"heldout_accuracy": 0.77, "num_train": 1400, "num_heldout": 600},
                        "edit": {"classifier_output": "predicted age (years)", "intensities": [-2.5, 0.0, 2.5],
                                 "mean_per_step": [15.87, 25.68, 46.33]}}}}
    _write(tmp_path, "toy", "directions.json", info)
    np.savez(tmp_path / "toy" / "directions.npz", **{"direction/gender": np.array([1.0, 0.0, 0.0]),
                                                     "direction/age": np.array([1.0, 1.0, 0.0]),
                                                     "pca/explained_variance_ratio": np.array([0.5, 0.45, 0.05])})
    table = generate.render_directions(str(tmp_path), "toy")
    assert "| gender | InterFaceGAN linear SVM on classifier scores, `classifier_gender_utkface_48` on 3,000 " \
           "samples | 0.947 (840 / 360) | P(female) at -3: 0.01, 0: 0.55, +3: 1.00 |" in table
    assert "| 0.770 (1,400 / 600) | predicted age (years) at -2.5: 16, 0: 26, +2.5: 46 |" in table
    assert "cosine between gender and age: 0.71" in table  # 1 / sqrt(2)
    pca = generate.render_pca(str(tmp_path)).splitlines()[2]
    assert pca == "| `toy` | sampled z | 3,000 | 50.0 % | 2 | 3 |"  # 0.5 + 0.45 reaches 90 % at the second


def test_the_shipped_dcgan_set_shows_its_own_figures():
    table = generate.render_directions(PRESETS, "dcgan_utkface_64")
    with open(os.path.join(PRESETS, "dcgan_utkface_64", "directions.json"), encoding="utf-8") as f:
        info = json.load(f)
    for name, d in info["directions"].items():
        assert f"| {name} |" in table and f"{d['heldout_accuracy']:.3f}" in table


@pytest.mark.parametrize("page,message", [
    ("<!-- generated:nonsense -->\n<!-- /generated -->\n", "unknown generated block"),
    ("<!-- generated:presets -->\nno end\n", "has no '<!-- /generated -->'"),
    ("<!-- generated:directions no_such_preset -->\n<!-- /generated -->\n", "no_such_preset has no direction set"),
    ("x <!-- generated:value dcgan_utkface_64 metadata:no.such .2f -->1<!-- /generated -->\n", "has no field"),
])
def test_a_bad_block_is_one_sentence_and_exit_2(tmp_path, capsys, page, message):
    shutil.copytree(os.path.join(PRESETS, "dcgan_utkface_64"), tmp_path / "presets" / "dcgan_utkface_64",
                    ignore=shutil.ignore_patterns("weights.npz"))
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "page.md").write_text(page)
    code = generate.main(["--check", "--docs", str(tmp_path / "docs"), "--presets", str(tmp_path / "presets")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and message in err and len(err.splitlines()) == 1 and "Traceback" not in err
