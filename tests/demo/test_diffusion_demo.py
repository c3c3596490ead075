"""The demo with a diffusion preset (a tiny DDIMSampler folder, 16 px, 3 steps): Generate's DDIM steps, Restore's
SDEdit beside the VAE, interpolation and photo encoding by DDIM inversion, through the tabs' Python functions."""

import numpy as np
import pytest

from demo import app, core, diffusion, latents
from demo.tabs import generate, interpolate, restore
from zoo.utils.images import to_uint8


@pytest.fixture(scope="session")
def ddim_preset(tmp_path_factory):
    import keras

    import zoo
    from zoo.models.diffusion import DDIMSampler, UNetDenoiser

    keras.utils.set_random_seed(0)
    sampler = DDIMSampler(UNetDenoiser(16, 3, widths=(4, 8), block_depth=1, embedding_dims=4, name="denoiser"),
                          16, 3, steps=3)
    sampler.build((None, sampler.latent_dim))
    rng = np.random.default_rng(0)  # away from the zero-initialised head, so that steps and inputs matter
    sampler.denoiser.set_weights([w + rng.uniform(-0.1, 0.1, w.shape).astype(w.dtype)
                                  for w in sampler.denoiser.get_weights()])
    return zoo.save_to_preset(sampler, str(tmp_path_factory.mktemp("ddim")),
                              {"dataset": "synthetic", "licence": "CC0: synthetic test faces"})


def _cell(grid, i, size=16):
    x = 2 + i * (size + 2)
    return grid[2:2 + size, x:x + size]


def test_a_diffusion_preset_is_a_generator_and_a_diffusion_kind(ddim_preset, generator_preset):
    kinds = app.preset_kinds([generator_preset, ddim_preset])
    assert kinds["generators"] == [generator_preset, ddim_preset] and kinds["diffusion"] == [ddim_preset]
    assert diffusion.default_steps(ddim_preset) == 3 and diffusion.default_steps(generator_preset) is None


def test_generate_samples_by_the_chosen_ddim_steps(ddim_preset):
    m = core.model(ddim_preset)
    grid = generate.generate(ddim_preset, seed=2, count=2)
    np.testing.assert_array_equal(grid, generate.generate(ddim_preset, seed=2, count=2, ddim_steps=3))
    z = core.seed_latents(m.latent_dim, [2, 3])
    want = to_uint8(np.asarray(m.generate(z, steps=3)))
    assert np.abs(_cell(grid, 1).astype(int) - want[1].astype(int)).max() <= 1
    one = generate.generate(ddim_preset, seed=2, count=2, ddim_steps=1)
    assert not np.array_equal(one, grid)
    np.testing.assert_array_equal(one, generate.generate(ddim_preset, seed=2, count=2, ddim_steps=1))
    for bad in (0, 101, 2.5):
        with pytest.raises(core.DemoError, match="DDIM steps"):
            generate.generate(ddim_preset, count=1, ddim_steps=bad)
    face = generate.first_face(ddim_preset, seed=2, ddim_steps=1)
    np.testing.assert_array_equal(face, _cell(one, 0))


def test_the_steps_slider_shows_only_for_diffusion_presets(ddim_preset, generator_preset):
    gr = pytest.importorskip("gradio")
    shown, hidden = diffusion.steps_update(ddim_preset), diffusion.steps_update(generator_preset)
    assert shown["visible"] is True and shown["value"] == 3 and hidden["visible"] is False
    # a DCGAN ignores the (hidden) slider's value
    np.testing.assert_array_equal(generate.generate(generator_preset, count=1, ddim_steps=50),
                                  generate.generate(generator_preset, count=1))
    page = app.build_demo([ddim_preset, generator_preset])
    slider = next(b for b in page.blocks.values() if getattr(b, "elem_id", None) == "generate-ddim-steps")
    assert isinstance(slider, gr.Slider) and slider.visible and slider.value == 3
    assert (slider.minimum, slider.maximum) == (1, diffusion.MAX_DDIM_STEPS)


def test_restore_offers_sdedit_beside_the_vae(ddim_preset, vae_presets):
    enc, dec = vae_presets
    face = np.random.default_rng(1).integers(0, 255, (32, 32, 3), dtype=np.uint8)
    row, scores = restore.restore(face, "", "", "noise", noise_std=0.4, diffusion=ddim_preset, strength=0.5,
                                   align=False)
    assert row.shape == (20, 4 * 18 + 2, 3) and set(scores) == {"damaged", "mean filter", "SDEdit"}
    clean = core.to_model_input(face, 16, 3)
    from zoo.latent.restore import add_noise

    want = to_uint8(diffusion.sdedit(ddim_preset, add_noise(clean, 0.4, 0), 0.5, 0))[0]
    assert np.abs(_cell(row, 3).astype(int) - want.astype(int)).max() <= 1
    low = restore.restore(face, "", "", "noise", noise_std=0.4, diffusion=ddim_preset, strength=0.1, align=False)[1]
    assert low["SDEdit"] != scores["SDEdit"]  # the strength reaches the model
    both_row, both = restore.restore(face, dec, enc, "erase", diffusion=ddim_preset, align=False)
    assert both_row.shape == (20, 5 * 18 + 2, 3) and set(both) == {"damaged", "mean filter", "VAE", "SDEdit"}
    assert "| SDEdit |" in restore.table(both)
    with pytest.raises(core.DemoError, match="strength must be above 0"):
        restore.restore(face, "", "", diffusion=ddim_preset, strength=0, align=False)
    with pytest.raises(core.DemoError, match="needs a VAE .* or a diffusion preset"):
        restore.restore(face, dec, "")
    with pytest.raises(core.DemoError, match="not a diffusion model"):
        restore.restore(face, "", "", diffusion=dec, align=False)


def test_interpolation_and_photos_through_a_diffusion_preset(ddim_preset, tmp_path):
    from PIL import Image

    row = interpolate.interpolate(ddim_preset, 0, 1, steps=3)
    ends = generate.generate(ddim_preset, seed=0, count=1), generate.generate(ddim_preset, seed=1, count=1)
    np.testing.assert_array_equal(_cell(row, 0), _cell(ends[0], 0))
    np.testing.assert_array_equal(_cell(row, 2), _cell(ends[1], 0))
    assert latents.pca(ddim_preset)[0] is None and "diffusion" in latents.pca(ddim_preset)[1]
    path = tmp_path / "face.png"
    Image.fromarray(np.random.default_rng(2).integers(0, 255, (16, 16, 3), dtype=np.uint8)).save(path)
    z = latents.photo_latent(ddim_preset, str(path), align=False)  # DDIM inversion, not a projection
    m = core.model(ddim_preset)
    np.testing.assert_allclose(z, np.asarray(m.invert(core.to_model_input(
        core.read_upload(str(path)), 16, 3))), atol=1e-5)


def test_the_edit_tab_says_why_a_diffusion_preset_has_no_directions(ddim_preset):
    from demo.tabs import edit

    c = edit.controls(ddim_preset)
    assert c["pca"] == [] and c["directions"] == [] and "do not apply to a diffusion model" in c["text"]
    assert "python -m zoo.latent directions" not in c["text"]
