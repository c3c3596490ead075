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


def _clipped_critic_scores(epsilon, x):
    d = UpsampleConvDiscriminator(image_size=32, base_filters=8, output_norm=False, batch_norm_epsilon=epsilon)
    d.build((None, 32, 32, 3))
    for w in d.trainable_weights:  # as a WGAN critic after its first update at clip 0.01: gamma too is 0.01
        w.assign(np.clip(np.asarray(w), -0.01, 0.01) if "gamma" not in w.path else np.full(w.shape, 0.01))
    return np.asarray(d(x, training=True))[:, 0]


def test_a_clipped_critic_tells_faces_apart_only_with_torchs_batch_norm_epsilon():
    """Paper 002's WGAN arm: at Keras' epsilon 1e-3 the clipped critic's scores barely vary over a batch (the
    generator then gets no gradient); at torch's 1e-5, the WGAN reference code's, they vary a thousand times more."""
    x = np.random.default_rng(0).uniform(-1, 1, (16, 32, 32, 3)).astype("float32")
    keras_eps, torch_eps = _clipped_critic_scores(1e-3, x).std(), _clipped_critic_scores(1e-5, x).std()
    assert torch_eps > 100 * keras_eps, (keras_eps, torch_eps)


def test_batch_norm_epsilon_round_trips_and_an_old_config_keeps_keras_default():
    d = UpsampleConvDiscriminator(image_size=16, base_filters=4, batch_norm_epsilon=1e-5)
    assert UpsampleConvDiscriminator.from_config(d.get_config()).batch_norm_epsilon == 1e-5
    old = {k: v for k, v in d.get_config().items() if k != "batch_norm_epsilon"}
    assert UpsampleConvDiscriminator.from_config(old).blocks[0][1].epsilon == 1e-3
    with pytest.raises(ValueError, match="batch_norm_epsilon must be positive"):
        UpsampleConvDiscriminator(batch_norm_epsilon=0.0)
