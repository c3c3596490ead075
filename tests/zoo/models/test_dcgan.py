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


def test_batch_norm_is_radford_et_al_s_and_older_configs_keep_theirs():
    g = DCGANGenerator(latent_dim=8, image_size=16, base_filters=4)
    d = DCGANDiscriminator(image_size=16, base_filters=4)
    g.build((None, 8))
    d.build((None, 16, 16, 3))
    norms = [l for m in (g, d) for l in m._flatten_layers() if isinstance(l, keras.layers.BatchNormalization)]
    assert len(norms) == 3  # at 16 px: project and up0 in G, down1 in D
    assert all((n.momentum, n.epsilon) == (0.9, 1e-5) for n in norms)  # torch momentum 0.1 == Keras 0.9
    # A config saved before the field existed was trained with Keras' 1e-3: loading keeps it.
    old = {k: v for k, v in g.get_config().items() if k != "batch_norm_epsilon"}
    legacy = DCGANGenerator.from_config(old)
    legacy.build((None, 8))
    assert legacy.project_norm.epsilon == 1e-3
    assert DCGANGenerator.from_config(g.get_config()).batch_norm_epsilon == 1e-5


def test_layers_of_one_shape_get_different_kernels():
    # One shared initializer object made at import gave generator/to_image the kernel of discriminator/down0.
    keras.utils.set_random_seed(0)
    g = DCGANGenerator(latent_dim=8, image_size=16, base_filters=4)
    d = DCGANDiscriminator(image_size=16, base_filters=4)
    g.build((None, 8))
    d.build((None, 16, 16, 3))
    a, b = np.asarray(g.to_image.kernel), np.asarray(d.blocks[0][0].kernel)
    assert a.shape == b.shape and not np.array_equal(a, b)


def test_shipped_presets_keep_the_epsilon_they_were_trained_with():
    import json
    import os

    import zoo

    # The retrained preset has the paper's 1e-5; whatever a preset was trained with, loading must not reset it.
    stored = json.load(open(os.path.join(os.path.dirname(zoo.__file__), "presets", "dcgan_utkface_64",
                                         "config.json")))["config"]["batch_norm_epsilon"]
    assert stored == 1e-5 and zoo.from_preset("dcgan_utkface_64").batch_norm_epsilon == stored
