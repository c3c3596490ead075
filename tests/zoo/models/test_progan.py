import keras
import numpy as np
import pytest

from zoo.layers import downsample2x, upsample2x
from zoo.models.progan import ProGANDiscriminator, ProGANGenerator

Z = np.random.default_rng(0).standard_normal((4, 8)).astype("float32")


@pytest.fixture(scope="module")
def gen():
    g = ProGANGenerator(8, 16, 3, fmap_base=32, fmap_max=16)
    g.build((None, 8))
    return g


@pytest.fixture(scope="module")
def disc():
    d = ProGANDiscriminator(16, 3, fmap_base=32, fmap_max=16, mbstd_group_size=2)
    d.build((None, 16, 16, 3))
    return d


def test_all_levels_exist_up_front_and_shapes_follow_the_level(gen):
    assert gen.num_levels == 3 and len(gen.to_rgb) == 3 and all(layer.built for layer in gen.to_rgb)
    for level, size in enumerate((4, 8, 16)):
        assert gen(Z, level=level).shape == (4, size, size, 3)
    with pytest.raises(ValueError, match="level must be an int in \\[0, 2\\]"):
        gen(Z, level=3)


def test_alpha_zero_is_the_upscaled_previous_level_and_alpha_one_the_new_block_alone(gen):
    for level in (1, 2):
        at0 = np.asarray(gen(Z, level=level, alpha=0.0))
        prev = np.asarray(upsample2x(gen(Z, level=level - 1, alpha=1.0)))
        np.testing.assert_allclose(at0, prev, atol=1e-5)
    # alpha = 1: the previous level's toRGB no longer matters; at alpha 0.5 it does.
    before1, before_half = np.asarray(gen(Z, level=2, alpha=1.0)), np.asarray(gen(Z, level=2, alpha=0.5))
    old = gen.to_rgb[1].kernel.numpy()
    gen.to_rgb[1].kernel.assign(old + 1.0)
    try:
        np.testing.assert_allclose(gen(Z, level=2, alpha=1.0), before1, atol=1e-6)
        assert np.abs(np.asarray(gen(Z, level=2, alpha=0.5)) - before_half).max() > 1e-3
    finally:
        gen.to_rgb[1].kernel.assign(old)


def test_discriminator_fade_in_mirrors_the_generator(disc):
    x = np.random.default_rng(1).uniform(-1, 1, (4, 16, 16, 3)).astype("float32")
    np.testing.assert_allclose(disc(x, alpha=0.0), disc(downsample2x(x), alpha=1.0), atol=1e-5)
    assert disc(x).shape == (4, 1) and disc(x[:, :4, :4]).shape == (4, 1)
    with pytest.raises(ValueError, match="resolution must be 4 \\* 2\\^k"):
        disc(x[:, :6, :6])


def test_save_and_load_give_identical_outputs(gen, disc, tmp_path):
    for model, arg in ((gen, Z), (disc, np.ones((2, 8, 8, 3), "float32"))):
        path = str(tmp_path / f"{model.name}.keras")
        model.save(path)
        loaded = keras.saving.load_model(path)
        assert loaded.get_config() == model.get_config()
        kwargs = {"level": 1} if model is gen else {}
        np.testing.assert_allclose(loaded(arg, alpha=0.3, **kwargs), model(arg, alpha=0.3, **kwargs), atol=1e-6)


def test_discriminator_blur_option_low_passes_before_the_downsampling_conv(disc):
    assert disc.get_config()["blur_filter"] == []  # ProGAN has none; StyleGAN's recipe passes (1, 2, 1)
    blurred = ProGANDiscriminator.from_config({**disc.get_config(), "blur_filter": [1, 2, 1]})
    blurred.build((None, 16, 16, 3))
    blurred.set_weights(disc.get_weights())  # the blur has no weights
    x = np.random.default_rng(1).uniform(-1, 1, (4, 16, 16, 3)).astype("float32")
    np.testing.assert_allclose(blurred(x[:, ::4, ::4]), disc(x[:, ::4, ::4]), atol=1e-6)  # 4 px: no block
    assert np.abs(np.asarray(blurred(x)) - np.asarray(disc(x))).max() > 1e-5
