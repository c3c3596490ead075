import shutil

import numpy as np
import pytest

from demo import core, latents
from demo.tabs import edit, generate


@pytest.fixture(scope="module")
def preset_with_directions(generator_preset, tmp_path_factory):
    """The tiny DCGAN preset with a shipped direction set: a PCA and a planted 'smile' direction."""
    from zoo.latent.directions import DirectionSet
    from zoo.latent.models import fingerprint
    from zoo.latent.pca import fit_pca

    folder = str(tmp_path_factory.mktemp("with_dirs") / "dcgan")
    shutil.copytree(generator_preset, folder)
    ds = DirectionSet("z", 8)
    ds.pca = fit_pca(np.random.default_rng(0).standard_normal((200, 8)) * np.arange(1, 9), 8)
    smile = np.zeros(8, np.float32)
    smile[0] = 1.0
    ds.add("smile", smile, method="planted", heldout_accuracy=0.9)
    ds.meta["model_fingerprint"] = fingerprint(generator_preset)  # a set is refused with any other model
    ds.save(folder)
    return folder


def test_unedited_half_is_the_seed_face_and_sliders_move_along_their_directions(preset_with_directions):
    p = preset_with_directions
    c = edit.controls(p)
    assert c["directions"] == ["smile"] and len(c["pca"]) == edit.PCA_SLIDERS and c["num_ws"] == 0
    assert "held-out accuracy 0.90" in c["text"]
    row = edit.edit(p, seed=7)
    face = generate.generate(p, seed=7, count=1)[2:18, 2:18]
    np.testing.assert_array_equal(row[2:18, 2:18], face)
    np.testing.assert_array_equal(row[2:18, 20:36], face)  # nothing moved: the edit is the face itself
    moved = edit.edit(p, seed=7, attribute_amounts={"smile": 2.0})
    np.testing.assert_array_equal(moved[2:18, 2:18], face)
    assert not np.array_equal(moved[2:18, 20:36], face)
    z = latents.seed_latent(p, 7)
    pca, _ = latents.pca(p)
    got = latents.apply_edits(p, z, [0.0, 1.5], {"smile": -1.0})
    want = z + 1.5 * pca.stds[1] * pca.components[1] - np.eye(8, dtype=np.float32)[0]
    np.testing.assert_allclose(got, want, atol=1e-5)
    with pytest.raises(core.DemoError, match="no direction 'age'"):
        latents.apply_edits(p, z, (), {"age": 1.0})
    with pytest.raises(core.DemoError, match="layer-range edits need a StyleGAN"):
        latents.apply_edits(p, z, (1.0,), None, layers=(0, 2))


def test_a_preset_without_directions_gets_a_ganspace_pca(generator_preset):
    pca, how = latents.pca(generator_preset)
    assert "GANSpace" in how and pca.components.shape == (8, 8)
    np.testing.assert_allclose(np.linalg.norm(pca.components, axis=1), 1.0, atol=1e-6)
    assert edit.controls(generator_preset)["directions"] == []


def test_stylegan_layer_range_edit_and_style_mixing(stylegan_preset):
    p = stylegan_preset
    c = edit.controls(p)
    assert c["num_ws"] == 6 and latents.space(p) == "w"
    w = latents.seed_latent(p, 1)
    ws = latents.apply_edits(p, w, [2.0], None, layers=(0, 2))
    assert ws.shape == (1, 6, 8)
    assert not np.allclose(ws[0, :2], w) and np.allclose(ws[0, 2:], w)  # only layers 0 and 1 moved
    row = edit.mix(p, 1, 2, crossover=6)  # crossover after the last layer: all of A
    np.testing.assert_array_equal(row[2:18, 2 + 36: 18 + 36], row[2:18, 2:18])
    row = edit.mix(p, 1, 2, crossover=0)  # all of B
    np.testing.assert_array_equal(row[2:18, 2 + 36: 18 + 36], row[2:18, 20:36])
    mid = edit.mix(p, 1, 2, crossover=2)
    assert not np.array_equal(mid[2:18, 38:54], mid[2:18, 2:18]) and \
        not np.array_equal(mid[2:18, 38:54], mid[2:18, 20:36])
    with pytest.raises(core.DemoError, match="crossover layer must be from 0 to 6"):
        edit.mix(p, 1, 2, crossover=7)


def test_photo_edit_through_the_vae_encoder(vae_presets, tmp_path):
    from PIL import Image

    enc, dec = vae_presets
    path = tmp_path / "face.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (24, 20, 3), dtype=np.uint8)).save(path)
    z = latents.photo_latent(dec, str(path), enc, align=False)  # noise: no face to align
    assert z.shape == (1, 8) and np.isfinite(z).all()
    row = edit.edit(dec, photo=str(path), encoder=enc, pca_amounts=[2.0], align=False)
    # the photo as the model reads it, then unedited and edited
    assert row.shape == (20, 56, 3) and not np.array_equal(row[2:18, 20:36], row[2:18, 38:54])
    np.testing.assert_array_equal(row[2:18, 2:18], core.grid(latents.photo_input(dec, str(path), False))[2:18, 2:18])


def test_photo_projection_lowers_the_pixel_loss(generator_preset, tmp_path):
    from PIL import Image

    from zoo.latent.project import projection_loss

    target = generate.generate(generator_preset, seed=11, count=1)[2:18, 2:18]
    path = tmp_path / "target.png"
    Image.fromarray(target).save(path)
    z = latents.photo_latent(generator_preset, str(path), None, steps=30, align=False)  # a 16 px face
    t = target[None].astype(np.float32) / 127.5 - 1
    gen = latents.generator(generator_preset)
    start = gen.sample_latents(500, 0).mean(0, keepdims=True)
    assert projection_loss(gen, z, t) < projection_loss(gen, start, t)
    with pytest.raises(core.DemoError, match="projection steps must be from 1 to 500"):
        latents.photo_latent(generator_preset, str(path), None, steps=501)


def test_interpolation_between_two_uploaded_faces_starts_and_ends_at_their_encodings(vae_presets, tmp_path):
    from PIL import Image

    from demo.tabs import interpolate

    enc, dec = vae_presets
    paths = []
    for k in range(2):
        paths.append(str(tmp_path / f"face{k}.png"))
        Image.fromarray(np.random.default_rng(k).integers(0, 255, (16, 16, 3), dtype=np.uint8)).save(paths[-1])
    row = interpolate.interpolate(dec, steps=3, photo_a=paths[0], photo_b=paths[1], encoder=enc, align=False)
    ends = [core.grid(latents.decode(dec, latents.photo_latent(dec, p, enc, align=False)))[2:18, 2:18] for p in paths]
    assert np.abs(row[2:18, 2:18].astype(int) - ends[0]).max() <= 1
    assert np.abs(row[2:18, 38:54].astype(int) - ends[1]).max() <= 1
    assert not np.array_equal(ends[0], ends[1])


def test_pivotal_tuning_redraws_the_uploaded_photo_closer_and_leaves_the_preset_alone(generator_preset, tmp_path):
    """With pivotal tuning the unedited face is drawn by a copy tuned to the photo: closer to it than the plain
    projection, edits still move it, the preset's own generator is untouched, and a slider does not tune again."""
    from PIL import Image

    target = generate.generate(generator_preset, seed=5, count=1)[2:18, 2:18]
    path = str(tmp_path / "photo.png")
    Image.fromarray(target).save(path)
    before = [w.copy() for w in core.model(generator_preset).get_weights()]
    plain = edit.edit(generator_preset, photo=path, projection_steps=20, align=False)
    tuned = edit.edit(generator_preset, photo=path, projection_steps=20, align=False, pivotal_steps=30)

    def error(row):
        return np.abs(row[2:18, 20:36].astype(float) - target).mean()

    assert error(tuned) < 0.5 * error(plain)  # measured 1.1 vs 4.4
    np.testing.assert_array_equal(tuned[2:18, 2:18], plain[2:18, 2:18])  # the same photo as read
    for a, b in zip(before, core.model(generator_preset).get_weights()):
        np.testing.assert_array_equal(a, b)
    model = latents.photo_model(generator_preset, path, None, 20, False, 30)
    assert model is latents.photo_model(generator_preset, path, None, 20, False, 30)  # cached: no second tuning
    assert latents.photo_model(generator_preset, path, None, 20, False, 0) is core.model(generator_preset)
    moved = edit.edit(generator_preset, photo=path, projection_steps=20, align=False, pivotal_steps=30,
                      pca_amounts=[3.0])
    assert not np.array_equal(moved[2:18, 38:54], tuned[2:18, 38:54])
    with pytest.raises(core.DemoError, match="pivotal tuning steps must be from 0 to 300"):
        latents.photo_model(generator_preset, path, None, 20, False, 301)
