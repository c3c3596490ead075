import keras
import numpy as np
import pytest

from zoo.models.dcgan import DCGANDiscriminator, DCGANGenerator


@pytest.mark.parametrize("size", [8, 16, 32])
def test_shapes_and_range(size):
    g = DCGANGenerator(latent_dim=8, image_size=size, channels=3, base_filters=4)
    d = DCGANDiscriminator(image_size=size, channels=3, base_filters=4)
    images = g(np.random.randn(3, 8).astype("float32"))
    assert images.shape == (3, size, size, 3)
    assert np.all(np.abs(np.asarray(images)) <= 1.0)
    assert d(images).shape == (3, 1)


def test_paper_architecture_at_64px():
    g = DCGANGenerator()
    g.build((None, 100))
    assert g.project.units == 4 * 4 * 512  # 4x4x512 for 64 px with 64 base filters
    assert [b[0].filters for b in g.blocks] == [256, 128, 64]
    d = DCGANDiscriminator()
    d.build((None, 64, 64, 3))
    assert [c.filters for c, _ in d.blocks] == [64, 128, 256, 512]
    assert d.blocks[0][1] is None  # no batch norm on the first layer


def test_config_round_trip_and_keras_file(tmp_path):
    g = DCGANGenerator(latent_dim=8, image_size=16, base_filters=4, name="g")
    z = np.random.randn(2, 8).astype("float32")
    out = np.asarray(g(z))
    assert DCGANGenerator.from_config(g.get_config()).get_config() == g.get_config()
    g.save(tmp_path / "g.keras")
    g2 = keras.saving.load_model(tmp_path / "g.keras")  # no custom_objects needed
    np.testing.assert_array_equal(np.asarray(g2(z)), out)
    d = DCGANDiscriminator(image_size=16, base_filters=4)
    x = np.random.uniform(-1, 1, (2, 16, 16, 3)).astype("float32")
    ref = np.asarray(d(x))
    d.save(tmp_path / "d.keras")
    np.testing.assert_array_equal(np.asarray(keras.saving.load_model(tmp_path / "d.keras")(x)), ref)


def test_bad_size():
    with pytest.raises(ValueError, match="4 \\* 2\\^k"):
        DCGANGenerator(image_size=48)
