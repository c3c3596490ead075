"""remove_background's copies: the RGBA cut-out, lossless grey/blur copies of JPEG sources, and the one rule
with_background follows when copies are missing."""

import os

import numpy as np
import pytest
from PIL import Image

from zoo.data.remove_background import main, output_paths, read_rgb, remove_background


@pytest.fixture(autouse=True)
def _no_cached_rembg_models(tmp_path, monkeypatch):
    """``--model auto`` must resolve to the shipped segmenter whatever this machine has cached."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("REMBG_HOME", str(tmp_path / "xdg" / "rembg"))
    monkeypatch.delenv("U2NET_HOME", raising=False)


def _jpeg_faces(root, count=3, size=32):
    """``count`` synthetic faces saved as JPEG (lossy sources, as UTKFace's are)."""
    from zoo.data.synthetic import render_faces

    os.makedirs(root, exist_ok=True)
    rels = [f"f{i}.jpg" for i in range(count)]
    for rel, im in zip(rels, render_faces(0, count, size, seed=7).images):
        Image.fromarray(im).save(os.path.join(root, rel), quality=90)
    return rels


def _source(src, rels):
    from zoo.data.source import ImageSource

    return ImageSource(name="faces", paths=[os.path.join(src, r) for r in rels], labels={"age": np.arange(len(rels))},
                       info={"root": src})


def test_cutout_is_rgba_with_the_mask_as_alpha_and_copies_are_the_exact_composite(tmp_path):
    from zoo.data.backgrounds import replace_background

    src, dst = str(tmp_path / "faces"), str(tmp_path / "out")
    rels = _jpeg_faces(src)
    remove_background(src, dst, progress=False)
    for rel in rels:
        paths = output_paths(rel, dst)
        assert all(p.endswith(".png") for p in paths.values())
        image, mask = read_rgb(os.path.join(src, rel)), np.asarray(Image.open(paths["mask"]))
        with Image.open(paths["cutout"]) as cut:
            assert cut.mode == "RGBA" and cut.format == "PNG"
            cut = np.asarray(cut)
        np.testing.assert_array_equal(cut[..., :3], image)
        np.testing.assert_array_equal(cut[..., 3], mask)
        for mode in ("grey", "blur"):  # exactly the source composited with its mask: no JPEG re-encoding
            expected = replace_background(image[None], mask[None], mode)[0].numpy()
            np.testing.assert_array_equal(np.asarray(Image.open(paths[mode])), expected)


def test_a_missing_cutout_is_redone_on_resume_and_variants_can_leave_it_out(tmp_path):
    src, dst = str(tmp_path / "faces"), str(tmp_path / "out")
    rels = _jpeg_faces(src)
    remove_background(src, dst, progress=False)
    os.remove(output_paths(rels[1], dst)["cutout"])
    m = remove_background(src, dst, progress=False)
    assert m["counts"]["written"] == 1 and os.path.isfile(output_paths(rels[1], dst)["cutout"])
    other = str(tmp_path / "no_cutout")
    assert main([src, other, "--variants", "grey,blur"]) == 0
    assert not os.path.exists(os.path.join(other, "cutout")) and os.path.isfile(output_paths(rels[0], other)["grey"])


def test_training_reads_all_copies_or_refuses_never_a_mix(tmp_path):
    from zoo.data.backgrounds import with_background
    from zoo.data.errors import DataError

    src, dst = str(tmp_path / "faces"), str(tmp_path / "faces_rembg")
    rels = _jpeg_faces(src, count=4)
    remove_background(src, dst, progress=False)
    source = _source(src, rels)
    grey = with_background(source, "grey")
    assert grey.paths == [output_paths(r, dst)["grey"] for r in rels] and grey.info["background_from"] == "copies"
    os.remove(output_paths(rels[2], dst)["grey"])
    with pytest.raises(DataError, match=r"1 of 4 grey copies .* are missing .* python -m zoo.data.remove_background "
                                        + src):
        with_background(source, "grey")
    # Copies never made (no manifest listing them, as after rembg p): every image from its mask.
    os.remove(os.path.join(dst, "manifest.json"))
    assert with_background(source, "grey").info["background_from"] == "masks"
