import struct
import zlib

import numpy as np
import pytest

import zoo
from demo import app, core
from demo.tabs import analyse, generate, interpolate


def test_generate_is_seeded_and_each_face_is_its_own_seed(generator_preset):
    a = generate.generate(generator_preset, seed=3, count=4)
    assert a.dtype == np.uint8 and a.ndim == 3 and a.shape[-1] == 3
    np.testing.assert_array_equal(a, generate.generate(generator_preset, seed=3, count=4))
    assert not np.array_equal(a, generate.generate(generator_preset, seed=4, count=4))
    # face 1 of the seed-3 grid (cell (0, 1) with 2 px padding) is face 0 of seed 4
    one = generate.generate(generator_preset, seed=4, count=1)
    np.testing.assert_array_equal(a[2:18, 20:36], one[2:18, 2:18])


def test_enlarged_grid_is_the_nearest_upscale_of_each_face(generator_preset):
    small = generate.generate(generator_preset, seed=0, count=1)[2:18, 2:18]
    big = generate.generate(generator_preset, seed=0, count=1, scale=3)
    assert big.shape == (3 * 16 + 4, 3 * 16 + 4, 3)
    np.testing.assert_array_equal(big[2:50, 2:50], small.repeat(3, 0).repeat(3, 1))
    smooth = generate.generate(generator_preset, seed=0, count=1, scale=3, resample="lanczos")
    assert smooth.shape == big.shape and not np.array_equal(smooth, big)


def test_stylegan_truncation_psi_zero_gives_the_mean_face(stylegan_preset):
    faces = generate.generate(stylegan_preset, seed=0, count=2, psi=0.0)  # every layer < cutoff 8 at w_avg
    np.testing.assert_array_equal(faces[2:18, 2:18], faces[2:18, 20:36])
    free = generate.generate(stylegan_preset, seed=0, count=2, psi=1.0)
    assert not np.array_equal(free[2:18, 2:18], free[2:18, 20:36])


def test_every_generator_family_is_listed_and_generates(generator_preset, stylegan_preset, progan_preset,
                                                       vae_presets):
    enc, dec = vae_presets
    kinds = app.preset_kinds([generator_preset, stylegan_preset, progan_preset, enc, dec])
    assert kinds["generators"] == [generator_preset, stylegan_preset, progan_preset, dec]
    assert kinds["stylegan"] == [stylegan_preset] and kinds["encoders"] == [enc]
    assert core.encoder_for("vae_utkface_64", ["vae_encoder_utkface_64", "x"]) == "vae_encoder_utkface_64"
    for p in kinds["generators"]:
        grid = generate.generate(p, seed=1, count=2)
        assert grid.shape == (20, 38, 3)
        np.testing.assert_array_equal(grid, generate.generate(p, seed=1, count=2))


@pytest.mark.parametrize("kwargs, words", [
    ({"count": 65}, "number of faces must be from 1 to 64"),
    ({"count": 2.5}, "whole number"),
    ({"seed": -1}, "seed must be from 0"),
    ({"psi": 1.5}, "truncation psi"),
    ({"resample": "bicubic"}, "resampling must be one of"),
])
def test_generate_caps_are_refused_with_a_sentence(generator_preset, kwargs, words):
    with pytest.raises(core.DemoError, match=words):
        generate.generate(generator_preset, **kwargs)


def test_a_grid_over_the_pixel_cap_is_refused(generator_preset, monkeypatch):
    monkeypatch.setattr(core, "MAX_GRID_PIXELS", 4 * 16 * 16 * 4)  # 4 faces at 2x
    assert generate.generate(generator_preset, count=4, scale=2).shape == (2 * 34 + 2, 2 * 34 + 2, 3)
    with pytest.raises(core.DemoError, match="lower the scale or the number of faces"):
        generate.generate(generator_preset, count=4, scale=3)


def test_interpolation_ends_at_the_two_seeds(generator_preset):
    row = interpolate.interpolate(generator_preset, seed_a=5, seed_b=9, steps=4)
    first = generate.generate(generator_preset, seed=5, count=1)
    last = generate.generate(generator_preset, seed=9, count=1)
    # cells are 16 px with 2 px padding: cell 0 and cell 3 of the row (slerp's ends may differ by rounding)
    assert np.abs(row[2:18, 2:18].astype(int) - first[2:18, 2:18]).max() <= 1
    assert np.abs(row[2:18, 2 + 3 * 18: 18 + 3 * 18].astype(int) - last[2:18, 2:18]).max() <= 1
    assert not np.array_equal(row[2:18, 20:36], first[2:18, 2:18])


def test_corner_matrix_has_the_four_seeds_in_its_corners(generator_preset):
    m = interpolate.matrix(generator_preset, seeds=(1, 2, 3, 4), steps=3)
    assert m.shape == (3 * 18 + 2, 3 * 18 + 2, 3)
    cells = {(0, 0): 1, (0, 2): 2, (2, 0): 3, (2, 2): 4}
    for (r, c), s in cells.items():
        face = generate.generate(generator_preset, seed=s, count=1)[2:18, 2:18]
        np.testing.assert_array_equal(m[2 + 18 * r: 18 + 18 * r, 2 + 18 * c: 18 + 18 * c], face)


def test_analyse_labels_each_preset_and_includes_the_ensemble(classifier_presets):
    multi, ensemble = classifier_presets
    kinds = app.preset_kinds([multi, ensemble])
    assert kinds["classifiers"] == [multi, ensemble]  # the ensemble (the best age model) is listed too
    face = np.random.default_rng(0).integers(0, 255, (40, 30, 3), dtype=np.uint8)
    out = analyse.analyze(face, [multi, ensemble], align=False)  # noise: no face to align
    assert set(out) == {multi, ensemble}
    assert set(out[multi]) == {"gender", "ethnicity", "age"} and set(out[ensemble]) == {"age"}
    assert out[multi]["age"] != out[ensemble]["age"]  # one preset's age does not overwrite the other's
    assert abs(sum(out[multi]["gender"].values()) - 1) < 1e-5
    assert abs(sum(out[multi]["ethnicity"].values()) - 1) < 1e-5
    text = analyse.table(out)
    assert multi in text and ensemble in text and f"{out[ensemble]['age']:.1f}" in text
    with pytest.raises(core.DemoError, match="shape"):
        analyse.analyze(np.zeros((4, 4, 2), np.uint8), [multi])
    with pytest.raises(core.DemoError, match="at least one"):
        analyse.analyze(face, [])


def _png_header_only(path, width, height, colour_type=2):
    """A PNG whose header says width x height (colour type 2 RGB, 0 grey), with a few bytes of image data."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
                + chunk(b"IEND", b""))


def test_a_huge_upload_is_refused_from_its_header(tmp_path):
    path = tmp_path / "huge.png"
    _png_header_only(path, 10_000, 10_000)
    with pytest.raises(core.DemoError, match="10000x10000") as e:
        core.read_upload(str(path))
    assert str(path) not in str(e.value)  # the sentence speaks of the upload, not of a temporary path
    with pytest.raises(core.DemoError, match="upload a face image first"):
        core.read_upload(None)
    from PIL import Image

    ok = tmp_path / "ok.png"
    Image.fromarray(np.full((20, 10, 3), 7, np.uint8)).save(ok)
    assert core.read_upload(str(ok)).shape == (20, 10, 3)


def test_every_upload_widget_hands_a_huge_file_over_undecoded(tmp_path, generator_preset, vae_presets,
                                                               classifier_presets):
    gr = pytest.importorskip("gradio")
    from gradio.data_classes import ImageData

    huge = tmp_path / "huge_grey.png"  # greyscale: Gradio's default image_mode "RGB" would decode and convert it
    _png_header_only(huge, 10_000, 10_000, colour_type=0)
    demo = app.build_demo([generator_preset, *vae_presets, *classifier_presets])
    fns = demo.fns.values() if isinstance(demo.fns, dict) else demo.fns
    inputs = {id(c): c for fn in fns for c in fn.inputs}
    uploads = [c for c in inputs.values() if isinstance(c, gr.Image)]
    assert len(uploads) == 6  # edit, interpolate x2, restore, background, analyse
    for widget in uploads:
        path = widget.preprocess(ImageData(path=str(huge), orig_name="huge_grey.png"))
        assert path == str(huge)
        with pytest.raises(core.DemoError, match="10000x10000 pixels"):
            core.read_upload(path)


def test_launch_binds_localhost_with_upload_and_queue_limits(monkeypatch):
    calls = {}

    class FakeBlocks:
        def queue(self, **kwargs):
            calls["queue"] = kwargs

        def launch(self, **kwargs):
            calls["launch"] = kwargs

    monkeypatch.setattr(app, "build_demo", lambda presets=None: FakeBlocks())
    monkeypatch.setattr(app, "warm_up", lambda kinds: None)
    assert app.main([]) == 0
    launch = calls["launch"]
    assert (launch["server_name"], launch["share"], launch["server_port"]) == ("127.0.0.1", False, 7860)
    assert launch["max_file_size"] == f"{core.MAX_UPLOAD_MB}mb" and launch["show_error"] is True
    assert calls["queue"]["default_concurrency_limit"] == 1 and calls["queue"]["max_size"] > 0
    app.main(["--host", "0.0.0.0", "--port", "8000", "--share"])
    assert (calls["launch"]["server_name"], calls["launch"]["server_port"], calls["launch"]["share"]) == \
        ("0.0.0.0", 8000, True)


def test_errors_reach_the_page_as_sentences():
    gr = pytest.importorskip("gradio")

    def refused():
        raise core.DemoError("lower the scale")

    def broken():
        raise KeyError("w_avg")

    with pytest.raises(gr.Error, match="lower the scale"):
        core.in_page(refused)()
    with pytest.raises(gr.Error, match="the demo failed: KeyError"):
        core.in_page(broken)()


def test_build_demo_lists_the_builtin_presets_and_binds_localhost():
    gr = pytest.importorskip("gradio")
    kinds = app.preset_kinds()
    assert set(sum(kinds.values(), [])) <= set(zoo.list_presets())
    assert "classifier_age_utkface_48" in kinds["classifiers"]
    # the tabs' defaults are the featured 64 px RGB models, whatever new preset sorts before them by name
    assert kinds["generators"][0] == "dcgan_utkface_64" and kinds["encoders"][0] == "vae_encoder_utkface_64"
    assert "conv_vae_utkface_48" in kinds["generators"] and kinds["generators"].index("vae_utkface_64") == 1
    assert isinstance(app.build_demo(), gr.Blocks)
    args = app.parser().parse_args([])
    assert (args.host, args.share) == ("127.0.0.1", False)
