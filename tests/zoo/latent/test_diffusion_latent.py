"""The latent tools on a diffusion model (DDIMSampler): it encodes by DDIM inversion, interpolates between noises,
restores by SDEdit beside the filters, and refuses PCA and attribute directions with a sentence (exit 2).

The sampler of the inversion and interpolation tests has the exact denoiser of Gaussian data (the idea of
tests/zoo/models/test_diffusion.py), so that inversion is exact up to the steps' discretisation; the CLI tests
use a tiny untrained U-Net saved as a preset."""

import json
import os

import keras
import numpy as np
import pytest

from zoo.latent import interpolate, restore
from zoo.latent.__main__ import main
from zoo.latent.models import Generator, LatentError, encode, is_diffusion, refuse_diffusion
from zoo.models.diffusion import DDIMSampler, UNetDenoiser

from tests.zoo.models.gaussian_denoiser import MU, SIGMA
from tests.zoo.models.gaussian_denoiser import exact_sampler as gaussian_sampler


def exact_sampler(steps):
    sampler = gaussian_sampler(steps=steps)
    sampler.pixel_mean.assign([0.1])
    sampler.pixel_std.assign([0.3])  # images in [-1, 1] with this mean and std enter as N(MU, SIGMA) data
    return sampler


def gaussian_images(n, seed):
    rng = np.random.default_rng(seed)
    return np.clip(0.1 + 0.3 * (MU + SIGMA * rng.standard_normal((n, 8, 8, 1))), -1, 1).astype("float32")


@pytest.fixture(scope="module")
def ddim_preset(tmp_path_factory):
    """A 16 px DDIMSampler with a tiny untrained U-Net (3 steps), saved as a preset folder."""
    from zoo.registry import save_to_preset

    keras.utils.set_random_seed(0)
    unet = UNetDenoiser(16, 3, widths=(4, 8), block_depth=1, embedding_dims=4, name="denoiser")
    sampler = DDIMSampler(unet, 16, 3, steps=3)
    sampler.build((None, sampler.latent_dim))
    rng = np.random.default_rng(0)  # non-zero head: the zero-initialised U-Net would predict a constant
    sampler.denoiser.set_weights([w + rng.uniform(-0.1, 0.1, w.shape).astype(w.dtype)
                                  for w in sampler.denoiser.get_weights()])
    return save_to_preset(sampler, str(tmp_path_factory.mktemp("ddim")), {"dataset": "synthetic"})


def test_encode_is_ddim_inversion_and_decoding_returns_the_image():
    sampler = exact_sampler(steps=100)
    images = gaussian_images(4, 3)
    z = encode(sampler, images)
    assert is_diffusion(sampler) and z.shape == (4, 64)
    np.testing.assert_allclose(Generator(sampler)(z), images, atol=0.02)
    assert abs(float(z.mean())) < 0.15  # noise (mean 0), not a copy of the normalised images (mean MU)
    # images of another size are resized to the sampler's before inversion
    assert encode(sampler, np.repeat(np.repeat(images, 2, 1), 2, 2)).shape == (4, 64)


def test_interpolation_endpoints_are_the_generated_endpoints_and_slerp_keeps_the_noise_norm():
    sampler = exact_sampler(steps=10)
    gen = Generator(sampler)
    a, b = gen.sample_latents(1, 0)[0], gen.sample_latents(1, 1)[0]
    path = interpolate.interpolate(a, b, 5)  # the default path is slerp
    np.testing.assert_allclose(path, interpolate.slerp(a, b, np.linspace(0, 1, 5)))
    images = gen(path)
    np.testing.assert_allclose(images[0], np.asarray(sampler.generate(a[None]))[0], atol=1e-5)
    np.testing.assert_allclose(images[-1], np.asarray(sampler.generate(b[None]))[0], atol=1e-5)
    norms = np.linalg.norm(path, axis=1)
    assert norms.min() > 0.95 * min(norms[0], norms[-1])  # lerp's midpoint would be ~0.71 of it
    assert np.linalg.norm(interpolate.lerp(a, b, [0.5])) < 0.8 * norms[2]


def test_sdedit_restorers_score_beside_the_filters():
    sampler = exact_sampler(steps=20)
    images = gaussian_images(4, 5)
    table, rows = restore.restoration_table(images, damages=restore.default_damages((0.2,)),
                                            restorers=restore.sdedit_restorers(sampler, (0.3, 0.6), seed=1))
    assert set(table) == {"clean", "noise", "erase"} and set(table["clean"]) == {"sdedit 0.3", "sdedit 0.6"}
    assert set(table["noise"]) == {"damaged", "mean_filter", "median_filter", "sdedit 0.3", "sdedit 0.6"}
    noisy = restore.damage(images, "noise", seed=0, std=0.2)
    np.testing.assert_allclose(rows["noise/sdedit 0.3"], np.asarray(sampler.restore(noisy, 0.3, seed=1)), atol=1e-6)
    # a higher strength keeps less of the clean image
    assert table["clean"]["sdedit 0.3"]["mse"]["mean"] < table["clean"]["sdedit 0.6"]["mse"]["mean"]


def _run(out, *argv):
    assert main([*argv, "--out", str(out)]) == 0
    return json.load(open(os.path.join(out, f"{argv[0]}.json")))


def test_restore_command_on_a_diffusion_model_writes_its_sdedit_rows(ddim_preset, tmp_path):
    r = _run(tmp_path, "restore", "--model", ddim_preset, "--data", "synthetic", "--count", "4",
             "--noise-std", "0.2,0.5", "--show", "2")
    assert set(r["table"]) == {"clean", "noise 0.2", "noise 0.5", "erase"}
    assert set(r["table"]["clean"]) == {"sdedit"}
    for damage in ("noise 0.2", "noise 0.5", "erase"):
        assert set(r["table"][damage]) == {"damaged", "mean_filter", "median_filter", "sdedit"}
        assert set(r["table"][damage]["sdedit"]) >= {"psnr", "ssim", "mse"}
    assert r["strengths"] == [0.5] and r["sdedit_steps"] == [2]  # round(3 steps x 0.5)
    assert os.path.isfile(tmp_path / "restoration.png") and "| erase | sdedit |" in open(
        tmp_path / "restoration.md").read()


def test_interpolate_photos_through_a_diffusion_model_needs_no_encoder(ddim_preset, tmp_path, photo):
    r = _run(tmp_path, "interpolate", "--model", ddim_preset, "--images", f"{photo},{photo}", "--steps", "3",
             "--no-align")
    assert len(r["latent_norms"]["slerp"]) == 3 and os.path.isfile(tmp_path / "interpolation.png")


@pytest.mark.parametrize("argv,message", [
    (["pca"], "pca does not apply to a diffusion model"),
    (["directions", "--tasks", "gender"], "does not apply to a diffusion model"),
    (["grid"], "does not apply to a diffusion model"),
    (["restore", "--data", "synthetic", "--count", "4", "--encoder", "{other}"], "is its own encoder"),
])
def test_tools_that_do_not_apply_say_why_and_exit_2(ddim_preset, tiny, tmp_path, capsys, argv, message):
    argv = [a.replace("{other}", tiny["enc"]) for a in argv]
    assert main([argv[0], "--model", ddim_preset, *argv[1:], "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_strength_is_refused_for_a_vae_and_out_of_range(tiny, ddim_preset, tmp_path, capsys):
    assert main(["restore", "--model", tiny["dec"], "--encoder", tiny["enc"], "--data", "synthetic", "--count", "4",
                 "--strength", "0.5", "--out", str(tmp_path)]) == 2
    assert "--strength is SDEdit's" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["restore", "--model", ddim_preset, "--strength", "0.5,1.5", "--out", str(tmp_path)])
    assert e.value.code == 2


def test_refuse_diffusion_leaves_other_models_alone(tiny):
    refuse_diffusion(tiny["gen"], "pca")
    with pytest.raises(LatentError, match="i.i.d. N"):
        refuse_diffusion(exact_sampler(2), "pca")
