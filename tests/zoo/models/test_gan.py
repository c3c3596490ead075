import keras
import numpy as np
import pytest

from zoo.models.gan import UpsampleConvDiscriminator, UpsampleConvGenerator


def test_shapes_range_and_paper_architecture():
    g = UpsampleConvGenerator(latent_dim=8, image_size=16, channels=3, base_filters=4)
    x = g(np.random.randn(3, 8).astype("float32"), training=True)
    assert x.shape == (3, 16, 16, 3) and np.all(np.abs(np.asarray(x)) <= 1.0)
    d = UpsampleConvDiscriminator(image_size=16, base_filters=4)
    assert d(x).shape == (3, 1)
    paper_g = UpsampleConvGenerator()  # 96 px, z = 200
    assert [b[0].filters for b in paper_g.blocks] == [256, 256, 256, 128] and paper_g.conv_last.filters == 128
    assert paper_g.project.units == 6 * 6 * 256
    assert [c.filters for c, _ in UpsampleConvDiscriminator().blocks] == [32, 64, 128, 256, 512]


def test_layer_norm_critic_variant_has_no_batch_norm():
    d = UpsampleConvDiscriminator(image_size=16, base_filters=4, norm="layer", output_norm=False)
    d.build((None, 16, 16, 3))
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in d._flatten_layers())


@pytest.mark.parametrize("cls,args,inp", [
    (UpsampleConvGenerator, dict(latent_dim=8, image_size=16, base_filters=4), (2, 8)),
    (UpsampleConvDiscriminator, dict(image_size=16, base_filters=4, norm="layer", output_norm=False), (2, 16, 16, 3)),
])
def test_round_trip_and_reload(tmp_path, cls, args, inp):
    m = cls(**args)
    x = np.random.default_rng(0).uniform(-1, 1, inp).astype("float32")
    ref = np.asarray(m(x))
    assert cls.from_config(m.get_config()).get_config() == m.get_config()
    m.save(tmp_path / "m.keras")
    np.testing.assert_array_equal(np.asarray(keras.saving.load_model(tmp_path / "m.keras")(x)), ref)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="multiple of 16.*40"):
        UpsampleConvGenerator(image_size=40)
    with pytest.raises(ValueError, match="norm.*'group'"):
        UpsampleConvDiscriminator(norm="group")
