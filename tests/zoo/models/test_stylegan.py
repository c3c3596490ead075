import keras
import numpy as np
import pytest

from zoo.layers import upsample2x
from zoo.models.stylegan import StyleGANGenerator

Z = np.random.default_rng(0).standard_normal((3, 8)).astype("float32")


@pytest.fixture(scope="module")
def gen():
    g = StyleGANGenerator(8, 8, 16, 3, mapping_layers=8, fmap_base=32, fmap_max=16, seed=1)
    g.build((None, 8))
    return g


def test_mapping_depth_constant_input_and_styles_per_layer(gen):
    assert len(gen.mapping.dense) == 8 and gen.num_ws == 6
    assert tuple(gen.synthesis.const.shape) == (1, 4, 4, 16)
    assert gen(Z, level=2, randomize_noise=False).shape == (3, 16, 16, 3)


def test_fade_in_at_alpha_zero_is_the_upscaled_previous_level(gen):
    at0 = gen(Z, level=2, alpha=0.0, randomize_noise=False)
    prev = upsample2x(gen(Z, level=1, alpha=1.0, randomize_noise=False))
    np.testing.assert_allclose(at0, prev, atol=1e-5)


def test_style_mixing_takes_the_second_w_from_the_crossover_on(gen):
    ws1 = gen.broadcast(gen.mapping(Z))
    ws2 = gen.broadcast(gen.mapping(Z[::-1].copy()))
    mixed = np.asarray(gen.mix_styles(ws1, ws2, np.array([1, 3, 6])))
    ws1, ws2 = np.asarray(ws1), np.asarray(ws2)
    for b, cross in enumerate((1, 3, 6)):
        np.testing.assert_array_equal(mixed[b, :cross], ws1[b, :cross])
        np.testing.assert_array_equal(mixed[b, cross:], ws2[b, cross:])
    # and the image depends on the late styles only through layers >= crossover: mixing at the last layer of
    # level 2 changes the 16 px output but not the 8 px one.
    late = gen.mix_styles(ws1, ws2, 5)
    np.testing.assert_allclose(gen.synthesize(late, level=1, randomize_noise=False),
                               gen.synthesize(ws1, level=1, randomize_noise=False), atol=1e-6)
    assert np.abs(np.asarray(gen.synthesize(late, level=2, randomize_noise=False))
                  - np.asarray(gen.synthesize(ws1, level=2, randomize_noise=False))).max() > 1e-4


def test_truncation_psi_zero_returns_the_mean_w(gen):
    gen.w_avg.assign(np.linspace(-1, 1, 8).astype("float32"))
    ws = gen.broadcast(gen.mapping(Z))
    np.testing.assert_allclose(gen.truncate(ws, 0.0), np.broadcast_to(gen.w_avg.numpy(), (3, 6, 8)), atol=1e-6)
    np.testing.assert_allclose(gen.truncate(ws, 1.0), ws, atol=1e-6)
    same = np.asarray(gen(Z, level=1, truncation_psi=0.0, randomize_noise=False))
    np.testing.assert_allclose(same[0], same[1], atol=1e-5)  # every z gives the mean face


def test_a_different_w_per_level(gen):
    w = np.asarray(gen.mapping(Z))
    ws = np.asarray(gen.ws_per_level([w, w[::-1], w]))
    np.testing.assert_array_equal(ws[:, 2], w[::-1])
    np.testing.assert_array_equal(ws[:, 3], w[::-1])
    np.testing.assert_array_equal(ws[:, 4], w)
    with pytest.raises(ValueError, match="one w per level"):
        gen.ws_per_level([w])


def test_training_call_updates_w_avg_and_mixes(gen):
    gen.w_avg.assign(np.zeros(8, "float32"))
    out = gen(Z, level=2, training=True)
    assert out.shape == (3, 16, 16, 3) and np.abs(gen.w_avg.numpy()).max() > 0
    assert np.isfinite(np.asarray(out)).all()


def test_save_and_load_give_identical_outputs(gen, tmp_path):
    path = str(tmp_path / "g.keras")
    gen.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.get_config() == gen.get_config()
    np.testing.assert_allclose(loaded(Z, level=2, alpha=0.4, randomize_noise=False),
                               gen(Z, level=2, alpha=0.4, randomize_noise=False), atol=1e-6)


def _noisy_copy(gen, noise_weight):
    """A clone of ``gen`` with the same weights and every NoiseInput weight set to ``noise_weight``."""
    clone = StyleGANGenerator.from_config(gen.get_config())
    clone.build((None, 8))
    clone.set_weights(gen.get_weights())
    for v in clone.weights:
        if v.path.endswith("noise/weight"):
            v.assign(np.full(v.shape, noise_weight, "float32"))
    return clone


def test_deterministic_mode_reads_fixed_stored_noise_not_none(gen, tmp_path):
    # Item 9: randomize_noise=False is the trained distribution with the layers' stored noise images (NVlabs'
    # noise_inputs), the same at every call and after saving; it used to add no noise at all.
    noisy, silent = _noisy_copy(gen, 0.5), _noisy_copy(gen, 0.0)
    a = np.asarray(noisy(Z, level=2, randomize_noise=False))
    np.testing.assert_allclose(noisy(Z, level=2, randomize_noise=False), a)
    assert np.abs(a - np.asarray(silent(Z, level=2, randomize_noise=False))).max() > 1e-3
    assert np.abs(a - np.asarray(noisy(Z, level=2, randomize_noise=True))).max() > 1e-3
    path = str(tmp_path / "noisy.keras")
    noisy.save(path)
    np.testing.assert_allclose(keras.saving.load_model(path)(Z, level=2, randomize_noise=False), a, atol=1e-6)


def test_truncation_cutoff_pulls_only_the_first_layers_towards_the_mean(gen):
    gen.w_avg.assign(np.linspace(-1, 1, 8).astype("float32"))
    ws = np.asarray(gen.broadcast(gen.mapping(Z)))
    cut = np.asarray(gen.truncate(ws, 0.0, cutoff=2))
    np.testing.assert_allclose(cut[:, :2], np.broadcast_to(gen.w_avg.numpy(), (3, 2, 8)), atol=1e-6)
    np.testing.assert_allclose(cut[:, 2:], ws[:, 2:], atol=1e-6)
    # the default cutoff is the reference's 8 layers: a 16 px model has 6, all truncated
    same = np.asarray(gen(Z, level=2, truncation_psi=0.0, randomize_noise=False))
    np.testing.assert_allclose(same[0], same[2], atol=1e-5)
    differs = np.asarray(gen(Z, level=2, truncation_psi=0.0, truncation_cutoff=4, randomize_noise=False))
    assert np.abs(differs[0] - differs[2]).max() > 1e-4


def test_blur_filter_defaults_to_121_and_is_part_of_the_config(gen):
    assert gen.get_config()["blur_filter"] == [1, 2, 1] and gen.synthesis.styled[2].blur_filter == (1, 2, 1)
    assert gen.synthesis.styled[0].blur_filter == () and gen.synthesis.styled[3].blur_filter == ()
    sharp = StyleGANGenerator.from_config({**gen.get_config(), "blur_filter": []})
    sharp.build((None, 8))
    sharp.set_weights(gen.get_weights())
    np.testing.assert_allclose(sharp(Z, level=0, randomize_noise=False), gen(Z, level=0, randomize_noise=False),
                               atol=1e-6)  # no upsampling at 4 px: nothing to blur
    assert np.abs(np.asarray(sharp(Z, level=2, randomize_noise=False))
                  - np.asarray(gen(Z, level=2, randomize_noise=False))).max() > 1e-4


def test_a_plain_call_uses_the_stored_noise_and_training_draws_fresh(gen):
    # Issue 25 item 3: zoo.from_preset("stylegan_utkface_32")(z) twice on the same z gave images up to 0.49 apart,
    # so interpolations flickered and edits mixed noise with the direction.
    noisy = _noisy_copy(gen, 0.5)
    a = np.asarray(noisy(Z, level=2))
    np.testing.assert_array_equal(np.asarray(noisy(Z, level=2)), a)
    np.testing.assert_array_equal(a, np.asarray(noisy(Z, level=2, randomize_noise=False)))
    ws = noisy.broadcast(noisy.mapping(Z))
    np.testing.assert_allclose(np.asarray(noisy.synthesize(ws, level=2)), a, atol=1e-6)
    assert np.abs(a - np.asarray(noisy(Z, level=2, randomize_noise=True))).max() > 1e-3
    fresh = [np.asarray(noisy.synthesis(ws, level=2, randomize_noise=True)) for _ in range(2)]
    assert np.abs(fresh[0] - fresh[1]).max() > 1e-3
