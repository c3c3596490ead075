"""python -m zoo.gallery: labelled panels of generator presets, the distance taken from the metadata only."""

import numpy as np
import pytest

import zoo
from zoo import gallery
from zoo.models.dcgan import DCGANGenerator


@pytest.fixture(scope="module")
def presets(tmp_path_factory):
    g = DCGANGenerator(latent_dim=8, image_size=16, base_filters=4)
    g.build((None, 8))
    fd = {"FD[classifier_gender_utkface_48]": {"mean": 25.19, "std": 0.27}, "command": "python -m zoo.evaluate ..."}
    measured = zoo.save_to_preset(g, str(tmp_path_factory.mktemp("a")), {"face_feature_distance": fd})
    unmeasured = zoo.save_to_preset(g, str(tmp_path_factory.mktemp("b")), {"dataset": "synthetic"})
    return measured, unmeasured, g


def test_panels_are_the_presets_samples_with_their_recorded_distance(presets):
    measured, unmeasured, g = presets
    panels = gallery.gallery([measured, unmeasured], count=4, seed=3)
    assert [p[2] for p in panels] == ["FD[classifier_gender_utkface_48] 25.2", "no distance recorded"]
    z = np.random.default_rng(3).standard_normal((4, 8)).astype("float32")
    expected = zoo.utils.images.make_grid(np.asarray(g(z, training=False)))
    np.testing.assert_array_equal(panels[0][1], expected)


def test_cli_writes_a_png_and_refuses_bad_input(presets, tmp_path, capsys):
    measured, _, _ = presets
    out = tmp_path / "g.png"
    assert gallery.main([measured, "--count", "4", "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # three panels in rows of two: the figure is about as tall as it is wide, not one long row
    from PIL import Image

    wide = tmp_path / "wide.png"
    assert gallery.main([measured] * 3 + ["--count", "4", "--cols", "2", "--out", str(wide)]) == 0
    w, h = Image.open(wide).size
    assert 0.6 < h / w < 1.6
    assert gallery.main(["no_such_preset", "--out", str(out)]) == 2
    assert gallery.main([measured, "--count", "0", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "no_such_preset" in err and "--count" in err and "Traceback" not in err
