import keras
import numpy as np
import pytest

from zoo.layers import GaussianSampling
from zoo.models.vae import ConvVAEDecoder, ConvVAEEncoder, DFCVAEDecoder, DFCVAEEncoder


def test_dfc_vae_shapes_and_paper_layout():
    enc = DFCVAEEncoder(image_size=16, latent_dim=8, base_filters=4)
    dec = DFCVAEDecoder(latent_dim=8, image_size=16, base_filters=4)
    mean, log_var = enc(np.zeros((2, 16, 16, 3), np.float32))
    assert mean.shape == log_var.shape == (2, 8)
    x = np.asarray(dec(mean))
    assert x.shape == (2, 16, 16, 3) and np.all(np.abs(x) <= 1)
    paper = DFCVAEEncoder()
    assert [c.filters for c, _ in paper.blocks] == [32, 64, 128, 256]
    assert all(c.kernel_size == (4, 4) and c.strides == (2, 2) for c, _ in paper.blocks)


def test_conv_vae_greyscale_48():
    enc = ConvVAEEncoder(image_size=48, channels=1, latent_dim=4, base_filters=4, dense_units=8)
    dec = ConvVAEDecoder(latent_dim=4, image_size=48, channels=1, base_filters=4, dense_units=8)
    mean, log_var = enc(np.zeros((2, 48, 48, 1), np.float32))
    assert mean.shape == (2, 4) and dec(mean).shape == (2, 48, 48, 1)
    assert len(dec.deconvs) == 3 and len(enc.blocks) == 3


@pytest.mark.parametrize("cls,args,inp", [
    (DFCVAEEncoder, dict(image_size=16, latent_dim=8, base_filters=4), (2, 16, 16, 3)),
    (DFCVAEDecoder, dict(latent_dim=8, image_size=16, base_filters=4), (2, 8)),
    (ConvVAEEncoder, dict(image_size=16, channels=1, latent_dim=2, base_filters=4, dense_units=8), (2, 16, 16, 1)),
    (ConvVAEDecoder, dict(latent_dim=2, image_size=16, channels=1, base_filters=4, dense_units=8), (2, 2)),
])
def test_round_trip_and_reload(tmp_path, cls, args, inp):
    m = cls(**args)
    x = np.random.default_rng(0).uniform(-1, 1, inp).astype("float32")
    ref = m(x)
    ref = [np.asarray(r) for r in ref] if isinstance(ref, tuple) else [np.asarray(ref)]
    assert cls.from_config(m.get_config()).get_config() == m.get_config()
    m.save(tmp_path / "m.keras")
    out = keras.saving.load_model(tmp_path / "m.keras")(x)
    out = out if isinstance(out, tuple) else [out]
    for a, b in zip(out, ref):
        np.testing.assert_array_equal(np.asarray(a), b)


def test_sampling_statistics_and_gradient():
    s = GaussianSampling(seed=3)
    mean, log_var = np.full((4000, 2), 2.0, np.float32), np.full((4000, 2), np.log(0.25), np.float32)
    z = np.asarray(s(mean, log_var))
    assert abs(z.mean() - 2.0) < 0.03 and abs(z.std() - 0.5) < 0.03
    assert np.allclose(np.asarray(GaussianSampling(seed=3)(mean, log_var)), z)  # seeded


def test_bad_sizes():
    with pytest.raises(ValueError, match="multiple of 16, got 40"):
        DFCVAEEncoder(image_size=40)
    with pytest.raises(ValueError, match="multiple of 8, got 20"):
        ConvVAEDecoder(image_size=20)


def test_conv_vae_log_var_limit_bounds_only_the_extremes():
    import numpy as np

    from zoo.models.vae import ConvVAEEncoder

    free = ConvVAEEncoder(16, 1, latent_dim=4, base_filters=4, dense_units=8)
    bounded = ConvVAEEncoder(16, 1, latent_dim=4, base_filters=4, dense_units=8, log_var_limit=10.0)
    for m in (free, bounded):
        m.build((None, 16, 16, 1))
    rng = np.random.default_rng(0)
    bounded.set_weights(free.get_weights())
    x = rng.uniform(-1, 1, (3, 16, 16, 1)).astype("float32")
    (_, v_free), (_, v_bounded) = free(x), bounded(x)
    np.testing.assert_allclose(np.asarray(v_bounded), np.asarray(v_free), rtol=0.01, atol=1e-3)  # ordinary faces
    # a log-variance pushed to +-50 (the diverged run reached +14 and -369) stays within +-10
    weights = free.get_weights()
    bias = [i for i, w in enumerate(weights) if w.shape == (4,)][-1]  # the log-variance layer's bias
    weights[bias] = np.array([50, -50, 14, 0], "float32")
    bounded.set_weights(weights)
    free.set_weights(weights)
    v = np.asarray(bounded(x)[1])
    assert np.all(np.abs(v) < 10) and v[:, 0].min() > 9.9 and np.abs(np.asarray(free(x)[1])).max() > 45
    assert "log_var_limit" not in free.get_config()  # presets made before the flag load unchanged
    assert ConvVAEEncoder.from_config(bounded.get_config()).log_var_limit == 10.0
