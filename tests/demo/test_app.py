import numpy as np
import pytest

import zoo
from demo import app
from zoo.models.dcgan import DCGANGenerator


@pytest.fixture(scope="module")
def generator_preset(tmp_path_factory):
    g = DCGANGenerator(latent_dim=8, image_size=16, base_filters=4)
    g.build((None, 8))
    return zoo.save_to_preset(g, str(tmp_path_factory.mktemp("g")), {"dataset": "synthetic"})


def test_generate_is_seeded(generator_preset):
    a = app.generate(generator_preset, seed=3, count=4)
    assert a.dtype == np.uint8 and a.ndim == 3 and a.shape[-1] == 3
    np.testing.assert_array_equal(a, app.generate(generator_preset, seed=3, count=4))
    assert not np.array_equal(a, app.generate(generator_preset, seed=4, count=4))


def test_interpolation_ends_at_the_two_seeds(generator_preset):
    row = app.interpolate(generator_preset, seed_a=5, seed_b=9, steps=4)
    first = app.generate(generator_preset, seed=5, count=1)
    last = app.generate(generator_preset, seed=9, count=1)
    # grid cells are 16 px with 2 px padding: cell 0 and cell 3 of the row
    np.testing.assert_array_equal(row[2:18, 2:18], first[2:18, 2:18])
    np.testing.assert_array_equal(row[2:18, 2 + 3 * 18: 18 + 3 * 18], last[2:18, 2:18])


def test_analyze_with_a_classifier_preset(tmp_path):
    fc = pytest.importorskip("zoo.models.face_classifier")
    model = fc.FaceClassifier(tasks=("gender", "ethnicity", "age"), image_size=16, channels=1, filters=(4, 4, 4),
                              dense_units=8)
    model.build((None, 16, 16, 1))
    path = zoo.save_to_preset(model, str(tmp_path / "c"), {"dataset": "synthetic"})
    face = np.random.default_rng(0).integers(0, 255, (40, 30, 3), dtype=np.uint8)
    out = app.analyze(face, [path])
    assert set(out) == {"gender", "ethnicity", "age"}
    assert abs(sum(out["gender"].values()) - 1) < 1e-5 and abs(sum(out["ethnicity"].values()) - 1) < 1e-5
    with pytest.raises(ValueError, match="shape"):
        app.analyze(np.zeros((4, 4, 2), np.uint8), [path])


def test_build_demo_lists_the_builtin_presets():
    gr = pytest.importorskip("gradio")
    kinds = app.preset_kinds()
    assert set(kinds["generators"]) | set(kinds["classifiers"]) <= set(zoo.list_presets())
    assert isinstance(app.build_demo(), gr.Blocks)
