"""docs/images/manifest.json: every image it lists exists and was drawn from the presets as they are now."""

from __future__ import annotations

import json
import os
import subprocess

import numpy as np
import pytest

from docs import figures


def test_every_manifest_image_exists_and_was_drawn_from_the_current_presets():
    problems = figures.stale(figures.read_manifest())
    assert not problems, "\n".join(problems)


def test_the_manifest_covers_the_dcgan_latent_and_projection_images_with_the_presets_they_read():
    images = figures.read_manifest()["images"]
    for name in ("latent_dcgan_gender.png", "latent_dcgan_matrix.png", "latent_projection_gender.png"):
        assert "dcgan_utkface_64" in images[name]["presets"]
    assert "directions_sha256" in images["latent_dcgan_gender.png"]["presets"]["dcgan_utkface_64"]
    assert "directions_sha256" not in images["latent_dcgan_matrix.png"]["presets"]["dcgan_utkface_64"]


def _presets(folder, weights="a", directions=b"d1"):
    for name in ("gen", "clf"):
        os.makedirs(folder / name, exist_ok=True)
        (folder / name / "metadata.json").write_text(json.dumps({"weights_sha256": weights * 64}))
    (folder / "gen" / "directions.npz").write_bytes(directions)


EDIT = "python -m zoo.latent edit --model gen --directions gen --direction g --classifier clf --out OUT"
INTERPOLATE = "python -m zoo.latent interpolate --model gen --image UTKFACE/a.jpg --out OUT"


def test_dependencies_are_the_presets_the_command_names_with_the_direction_set_where_used(tmp_path):
    _presets(tmp_path)
    deps = figures.dependencies(EDIT, str(tmp_path))
    assert deps == {"clf": {"weights_sha256": "a" * 64},
                    "gen": {"weights_sha256": "a" * 64, "directions_sha256": figures.sha256_file(
                        str(tmp_path / "gen" / "directions.npz"))}}
    assert figures.dependencies(INTERPOLATE, str(tmp_path)) == {"gen": {"weights_sha256": "a" * 64}}
    tasks = "python -m zoo.latent directions --model RUN --tasks gender@clf,age@nope --out OUT"
    assert list(figures.dependencies(tasks, str(tmp_path))) == ["clf"]  # a run folder, an unknown name: skipped
    gallery = "python -m zoo.gallery gen clf --count 16 --out OUT/gallery.png"  # presets as positional arguments
    assert list(figures.dependencies(gallery, str(tmp_path))) == ["clf", "gen"]


def test_out_is_replaced_as_a_folder_and_as_the_start_of_a_path():
    argv = figures.argv_of("python -m zoo.gallery gen --out OUT/gallery.png --name OUTER", "/tmp/x")
    assert argv[-3:] == ["/tmp/x/gallery.png", "--name", "OUTER"]


def _fake_run(calls):
    def run(argv, cwd):
        calls.append(argv)
        out = argv[argv.index("--out") + 1]
        for name in ("edit_g.png", "edit_g_response.png", "interpolation.png"):
            np.save(os.path.join(out, name + ".npy"), np.zeros(1))
            os.replace(os.path.join(out, name + ".npy"), os.path.join(out, name))
        return subprocess.CompletedProcess(argv, 0)
    return run


def test_redraw_runs_each_command_once_copies_the_files_and_records_the_current_shas(tmp_path):
    presets, images = tmp_path / "presets", tmp_path / "images"
    _presets(presets)
    images.mkdir()
    manifest = images / "manifest.json"
    manifest.write_text(json.dumps({"images": {
        "x_edit.png": {"command": EDIT, "file": "edit_g.png"},
        "x_response.png": {"command": EDIT, "file": "edit_g_response.png"},
        "x_interpolation.png": {"command": INTERPOLATE, "file": "interpolation.png"}}}))
    (tmp_path / "utk").mkdir()
    calls = []
    kwargs = dict(manifest_path=str(manifest), images_dir=str(images), presets_dir=str(presets),
                  data_dir=str(tmp_path / "utk"), run=_fake_run(calls))
    figures.redraw(["x_edit.png", "x_response.png"], **kwargs)
    assert len(calls) == 1 and os.path.isfile(images / "x_edit.png") and os.path.isfile(images / "x_response.png")
    data = figures.read_manifest(str(manifest))
    assert data["images"]["x_edit.png"]["presets"] == figures.dependencies(EDIT, str(presets))
    assert "presets" not in data["images"]["x_interpolation.png"]
    problems = figures.stale(data, str(images), str(presets))
    assert problems == ["x_interpolation.png is in the manifest but not in " + str(images) +
                        "; `python -m docs.figures x_interpolation.png` redraws it"]
    figures.redraw([], **{**kwargs, "keep": str(tmp_path / "kept")})
    assert sorted(os.listdir(tmp_path / "kept")) == ["01-x_edit", "02-x_interpolation"]
    assert os.path.isfile(tmp_path / "kept" / "01-x_edit" / "edit_g_response.png")
    assert calls[-1][calls[-1].index("--image") + 1] == str(tmp_path / "utk" / "a.jpg") and len(calls) == 3
    assert figures.stale(figures.read_manifest(str(manifest)), str(images), str(presets)) == []

    _presets(presets, directions=b"d2")  # a regenerated direction set: the edit images are stale, not the other
    problems = figures.stale(figures.read_manifest(str(manifest)), str(images), str(presets))
    assert len(problems) == 2 and all("other gen directions_sha256" in p for p in problems)
    _presets(presets, weights="b", directions=b"d2")  # both retrained: every image, once per preset it reads
    problems = figures.stale(figures.read_manifest(str(manifest)), str(images), str(presets))
    assert sorted(p.split()[0] for p in problems) == ["x_edit.png"] * 2 + ["x_interpolation.png"] + \
        ["x_response.png"] * 2
    assert "(aaaaaaaaaaaa now bbbbbbbbbbbb); `python -m docs.figures x_interpolation.png`" in problems[-1]


def test_a_command_that_fails_or_writes_no_image_leaves_the_entry_unchanged(tmp_path):
    presets, images = tmp_path / "presets", tmp_path / "images"
    _presets(presets)
    images.mkdir()
    manifest = images / "manifest.json"
    manifest.write_text(json.dumps({"images": {"x.png": {"command": EDIT, "file": "missing.png"}}}))
    kwargs = dict(manifest_path=str(manifest), images_dir=str(images), presets_dir=str(presets))
    with pytest.raises(figures.FigureError, match="did not write missing.png"):
        figures.redraw([], run=_fake_run([]), **kwargs)
    with pytest.raises(figures.FigureError, match="exited 3"):
        figures.redraw([], run=lambda argv, cwd: subprocess.CompletedProcess(argv, 3), **kwargs)
    with pytest.raises(figures.FigureError, match="nope.png: not in"):
        figures.redraw(["nope.png"], run=_fake_run([]), **kwargs)
    assert "presets" not in figures.read_manifest(str(manifest))["images"]["x.png"]
