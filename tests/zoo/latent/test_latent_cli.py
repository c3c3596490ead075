"""Every ``python -m zoo.latent`` command runs on tiny presets and writes its figure(s) and JSON; bad input
exits 2 with a message."""

import json
import os

import numpy as np
import pytest

from zoo.latent.__main__ import main

DATA = ["--data", "synthetic", "--count", "24", "--image-size", "16"]


def _run(out, *argv):
    assert main([*argv, "--out", str(out)]) == 0
    name = "directions_report" if argv[0] == "directions" else argv[0]
    return json.load(open(os.path.join(out, f"{name}.json")))


def test_pca_grid_and_sample_over_generators_and_an_encoder(tiny, tmp_path):
    r = _run(tmp_path, "pca", "--model", tiny["gen"], "--encoder", tiny["enc"], *DATA, "--samples", "200")
    assert len(r["models"]) == 2 and os.path.isfile(tmp_path / "pca_spectrum.png")
    for m in r["models"].values():
        assert abs(m["cumulative_explained_variance"][-1] - 1.0) < 1e-4
    g = _run(tmp_path, "grid", "--model", tiny["dec"], "--encoder", tiny["enc"], *DATA, "--components", "0,1",
             "--steps", "3", "--at", "0")
    assert g["components"] == [0, 1] and os.path.isfile(tmp_path / "eigen_grid.png")
    _run(tmp_path, "grid", "--model", tiny["gen"], "--activations", "--samples", "100", "--steps", "3")
    s = _run(tmp_path, "sample", "--model", tiny["gen"], "--samples", "100", "--num-components", "3",
             "--count-samples", "4")
    assert s["num_components"] == 3 and os.path.isfile(tmp_path / "pca_samples.png")


def test_attribute_directions_and_edits(tiny, tmp_path, photo):
    a = _run(tmp_path / "a", "attribute", "--model", tiny["gen"], "--classifier", tiny["clf"], "--task", "age",
             "--samples", "60", "--edit-count", "2", "--edit-steps", "3")
    assert a["num_train"] + a["num_heldout"] == 24 and len(a["edit"]["mean_per_step"]) == 3  # 20 % + 20 % of 60
    assert os.path.isfile(tmp_path / "a" / "edit_age.png") and os.path.isfile(tmp_path / "a" / "directions.npz")
    e = _run(tmp_path / "e", "attribute", "--model", tiny["dec"], "--encoder", tiny["enc"], *DATA, "--label",
             "age>=40", "--edit-count", "2")
    assert e["method"].startswith("mean difference") and {"heldout_accuracy", "threshold"} <= set(e)
    assert e["num_train"] + e["num_heldout"] == 24 and "svm" not in e  # the shipped vector's own accuracy
    d = _run(tmp_path / "d", "directions", "--model", tiny["gen"], "--samples", "60", "--classifier", tiny["clf"],
             "--tasks", "gender,age", "--edit-count", "1", "--edit-steps", "3")
    assert set(d["directions"]) == {"gender", "age"}
    v = _run(tmp_path / "v", "directions", "--model", tiny["dec"], "--encoder", tiny["enc"], *DATA, "--tasks",
             f"gender@{tiny['clf']},age>=40@{tiny['clf']}", "--edit-count", "1", "--edit-steps", "3")
    assert v["directions"]["age"]["label"] == "age>=40" and v["directions"]["age"]["edit"]["classifier_output"] \
        == "predicted age (years)" and v["pca"]["source"] == "encoder posterior means"
    ed = _run(tmp_path / "ed", "edit", "--model", tiny["gen"], "--directions", str(tmp_path / "d"), "--direction",
              "gender", "--condition", "age", "--classifier", tiny["clf"], "--edit-count", "1")
    assert ed["edit"]["classifier_output"] == "P(female)"
    _run(tmp_path / "ep", "edit", "--model", tiny["dec"], "--encoder", tiny["enc"], "--image", photo,
         "--no-align", "--directions", str(tmp_path / "e"), "--direction", "age>=40")


def test_interpolate_matrix_restore_project_scatter_mean_faces(tiny, tmp_path, photo):
    i = _run(tmp_path, "interpolate", "--model", tiny["gen"], "--seeds", "3,4", "--steps", "5")
    assert len(i["latent_norms"]["slerp"]) == 5 and os.path.isfile(tmp_path / "interpolation.png")
    _run(tmp_path, "matrix", "--model", tiny["dec"], "--encoder", tiny["enc"], "--images", ",".join([photo] * 4),
         "--steps", "3", "--no-align")
    r = _run(tmp_path, "restore", "--model", tiny["dec"], "--encoder", tiny["enc"], *DATA, "--noise-std", "0.1,0.5")
    assert set(r["table"]) == {"clean", "noise 0.1", "noise 0.5", "erase"}
    assert os.path.isfile(tmp_path / "restoration.png")
    assert set(r["table"]["noise 0.5"]) == {"damaged", "mean_filter", "median_filter", "vae"}
    assert r["table"]["noise 0.5"]["damaged"]["psnr"]["mean"] < r["table"]["noise 0.1"]["damaged"]["psnr"]["mean"]
    _run(tmp_path / "d", "directions", "--model", tiny["gen"], "--samples", "60", "--classifier", tiny["clf"],
         "--tasks", "gender", "--edit-count", "1")
    p = _run(tmp_path, "project", "--model", tiny["gen"], "--image", photo, "--no-align", "--steps", "5",
             "--classifier", tiny["clf"], "--directions", str(tmp_path / "d"), "--direction", "gender",
             "--edit-count", "1")
    assert np.isfinite(p["loss_last"]) and os.path.isfile(tmp_path / "projection.npz")
    with np.load(tmp_path / "projection.npz") as f:
        assert f["latent"].shape == (1, 8) and len(f["losses"]) == 5
    s = _run(tmp_path, "scatter", "--encoder", tiny["enc"], *DATA, "--label", "gender")
    assert sum(s["counts"].values()) == 24 and os.path.isfile(tmp_path / "scatter_gender.png")
    m = _run(tmp_path, "mean-faces", "--encoder", tiny["enc"], "--model", tiny["dec"], *DATA)
    assert sum(v for k, v in m["counts"].items() if not k.startswith("age")) == 24
    assert os.path.isfile(tmp_path / "mean_latent_faces_age.png")


@pytest.mark.parametrize("argv, message", [
    (["grid", "--model", "no_such_preset"], "unknown preset"),
    (["project", "--model", "GEN", "--image", "/nonexistent.png"], "photo not found"),
    (["project", "--model", "GEN", "--image", "BAD"], "not a readable image"),
    (["edit", "--model", "GEN", "--directions", "GEN", "--direction", "x"], "ships no direction set"),
    (["grid", "--model", "GEN", "--space", "w"], "needs a StyleGAN"),
])
def test_bad_input_exits_2_with_a_message(tiny, tmp_path, capsys, argv, message):
    bad = tmp_path / "bad.jpg"
    bad.write_text("not an image")
    argv = [{"GEN": tiny["gen"], "BAD": str(bad)}.get(a, a) for a in argv]
    assert main([*argv, "--out", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err


def test_stylegan_w_space_layer_range_edit_changes_the_image_and_w_latents_decode():
    from zoo.latent import pca
    from zoo.latent.models import Generator
    from zoo.models.stylegan import StyleGANGenerator

    g = StyleGANGenerator(8, 8, 16, 3, mapping_layers=2, fmap_base=32, fmap_max=16, seed=1)
    g.build((None, 8))
    w = Generator(g, "w")
    lat = w.sample_latents(3, seed=0)
    assert lat.shape == (3, 8)
    np.testing.assert_allclose(w(lat), w(lat), atol=1e-6)  # fixed noise: the same w gives the same image
    wplus = Generator(g, "w+")
    ws = wplus.sample_latents(1, seed=0)
    np.testing.assert_allclose(wplus(ws), w(lat[:1]), atol=1e-5)
    edited = pca.edit_layers(ws, np.ones(8, np.float32), 3.0, (0, 2))
    assert np.abs(wplus(edited) - wplus(ws)).max() > 1e-3



def test_an_exported_onnx_generator_decodes_like_its_keras_model_and_drives_the_cli(tiny, tmp_path):
    pytest.importorskip("onnxruntime")
    from export.exporter import export_model
    from zoo.latent.commands import load_model
    from zoo.latent.models import Generator

    keras_gen = Generator(load_model(tiny["gen"]))
    (card,) = export_model(keras_gen.model, str(tmp_path / "onnx"), "onnx", source={"test": "latent"})
    path = str(tmp_path / "onnx" / card["file"])
    onnx_gen = Generator(load_model(path))
    z = keras_gen.sample_latents(3, seed=1)
    np.testing.assert_allclose(onnx_gen(z), keras_gen(z), atol=1e-4)
    r = _run(tmp_path / "o", "interpolate", "--model", path, "--seeds", "0,1", "--steps", "3")
    assert len(r["latent_norms"]["slerp"]) == 3


def test_grid_layer_range_on_a_stylegan_changes_only_through_the_chosen_layers(tmp_path, monkeypatch):
    from zoo.latent import commands
    from zoo.models.stylegan import StyleGANGenerator

    g = StyleGANGenerator(8, 8, 16, 3, mapping_layers=2, fmap_base=32, fmap_max=16, seed=1)
    g.build((None, 8))
    monkeypatch.setattr(commands, "load_model", lambda spec: g)  # a StyleGAN preset does not reload yet
    from zoo.latent.models import Generator

    seen = []
    real_call = Generator.__call__
    monkeypatch.setattr(Generator, "__call__", lambda self, latents: (
        seen.append((self.space, np.array(latents))), real_call(self, latents))[1])
    r = _run(tmp_path, "grid", "--model", str(tmp_path), "--space", "w", "--samples", "100", "--steps", "3",
             "--components", "0", "--layers", "0:2", "--at", "0")
    assert r["layers"] == "0:2" and os.path.isfile(tmp_path / "eigen_grid.png")
    ws = next(x for space, x in seen if space == "w+")  # [steps, num_ws, w_dim]: what the images are drawn from
    assert ws.shape[:2] == (3, g.num_ws)
    np.testing.assert_array_equal(ws[:, 2:], np.broadcast_to(ws[:1, 2:], ws[:, 2:].shape))  # other layers: base
    assert np.abs(ws[0, :2] - ws[-1, :2]).max() > 1e-3  # the chosen layers move along the component
    np.testing.assert_allclose(ws[1, 0], ws[1, 2], atol=1e-6)  # the middle column is the unedited base w
    assert main(["grid", "--model", str(tmp_path), "--space", "w", "--layers", "0:99", "--out", str(tmp_path)]) == 2


def test_a_training_run_folder_gives_its_generator_and_encoder(tmp_path):
    from recipes import celeba_vae
    from tests.recipes._family import TINY, only_run
    from zoo.latent.models import load

    assert celeba_vae.main([*TINY, "--base-filters", "4", "--latent-dim", "8", "--out", str(tmp_path)]) == 0
    run = only_run(str(tmp_path), "celeba_vae")
    assert type(load(run)).__name__ == "DFCVAEDecoder" and type(load(run + ":encoder")).__name__ == "DFCVAEEncoder"
    r = _run(tmp_path / "o", "interpolate", "--model", run, "--seeds", "0,1", "--steps", "3")
    assert len(r["latent_norms"]["lerp"]) == 3


def test_a_direction_set_is_refused_with_another_model_or_encoder(tiny, tmp_path, capsys, photo):
    # Issue 25: a direction set (or its PCA) from another model was accepted silently and gave unrelated faces.
    # gen and dec both have 8-d latents, so only the recorded weights' fingerprint can tell them apart.
    _run(tmp_path / "d", "directions", "--model", tiny["gen"], "--samples", "60", "--classifier", tiny["clf"],
         "--tasks", "gender", "--edit-count", "1", "--edit-steps", "3")
    meta = json.load(open(tmp_path / "d" / "directions.json"))["meta"]
    assert len(meta["model_fingerprint"]) == 64 and meta["encoder_fingerprint"] is None
    for argv in (["edit", "--model", tiny["dec"], "--directions", str(tmp_path / "d"), "--direction", "gender"],
                 ["grid", "--model", tiny["dec"], "--directions", str(tmp_path / "d")]):
        assert main([*argv, "--out", str(tmp_path / "x")]) == 2
        assert "computed on another model" in capsys.readouterr().err
    _run(tmp_path / "ok", "edit", "--model", tiny["gen"], "--directions", str(tmp_path / "d"), "--direction", "gender")
    # a set made through one encoder, used to edit a photo encoded by another (a fresh encoder, same shapes)
    _run(tmp_path / "e", "directions", "--model", tiny["dec"], "--encoder", tiny["enc"], *DATA, "--tasks",
         f"gender@{tiny['clf']}", "--edit-count", "1", "--edit-steps", "3")
    other = _other_encoder(tiny, tmp_path)
    assert main(["edit", "--model", tiny["dec"], "--encoder", other, "--image", photo, "--no-align",
                 "--directions", str(tmp_path / "e"), "--direction", "gender", "--out", str(tmp_path / "x")]) == 2
    assert "computed on another encoder" in capsys.readouterr().err


def _other_encoder(tiny, tmp_path):
    import keras

    from zoo.models.vae import DFCVAEEncoder
    from zoo.registry import save_to_preset

    keras.utils.set_random_seed(5)
    enc = DFCVAEEncoder(16, 3, 8, 4)
    enc.build((None, 16, 16, 3))
    return save_to_preset(enc, str(tmp_path / "enc2"), {"dataset": "synthetic"})


def test_a_z_only_gan_s_pca_comes_from_its_first_layer_by_default(tiny, tmp_path):
    # Issue 25 item 5: progan_utkface_32 shipped a PCA of random z (the flat spectrum of N(0, I)).
    d = _run(tmp_path / "d", "directions", "--model", tiny["gen"], "--samples", "60", "--classifier", tiny["clf"],
             "--tasks", "gender", "--edit-count", "1", "--edit-steps", "3")
    assert d["pca"]["source"].startswith("first-layer activations")
    z = _run(tmp_path / "z", "directions", "--model", tiny["gen"], "--samples", "60", "--no-activations")
    assert z["pca"]["source"] == "sampled z"


def test_edit_lacking_applies_the_direction_to_real_faces_without_the_attribute(tiny, tmp_path, capsys):
    """edit --lacking RULE: the faces edited are real faces of the split for which the rule is false (encoded, or
    projected for a GAN), their reconstruction is reported, and the direction is decoded alone."""
    from zoo.latent.data import label_rule, load_images

    _run(tmp_path / "d", "directions", "--model", tiny["dec"], "--encoder", tiny["enc"], *DATA, "--tasks",
         f"gender@{tiny['clf']}", "--edit-count", "1", "--edit-steps", "3")
    r = _run(tmp_path / "v", "edit", "--model", tiny["dec"], "--encoder", tiny["enc"], *DATA, "--directions",
             str(tmp_path / "d"), "--direction", "gender", "--lacking", "gender", "--edit-count", "3",
             "--edit-steps", "3", "--classifier", tiny["clf"])
    images, labels, _ = load_images("synthetic", None, 24, 16, 3, "test", 0)
    lacking = int((~label_rule(labels, "gender")).sum())
    assert r["faces"] == min(3, lacking) > 0 and r["reconstructed"].startswith("encoded by")
    assert {"psnr", "ssim", "mse"} <= set(r["metrics"]) and len(r["edit"]["mean_per_step"]) == 3
    for figure in ("lacking_faces.png", "direction_alone.png", "edit_gender.png"):
        assert os.path.isfile(tmp_path / "v" / figure)
    _run(tmp_path / "dg", "directions", "--model", tiny["gen"], "--samples", "60", "--classifier", tiny["clf"],
         "--tasks", "gender", "--edit-count", "1", "--edit-steps", "3")
    g = _run(tmp_path / "g", "edit", "--model", tiny["gen"], *DATA, "--directions", str(tmp_path / "dg"),
             "--direction", "gender", "--lacking", "gender", "--edit-count", "2", "--edit-steps", "3",
             "--projection-steps", "3")
    assert g["reconstructed"] == "projected (3 steps each)" and g["faces"] == 2
    capsys.readouterr()
    assert main(["edit", "--model", tiny["dec"], "--encoder", tiny["enc"], *DATA, "--directions",
                 str(tmp_path / "d"), "--direction", "gender", "--lacking", "age>=0", "--out", str(tmp_path)]) == 2
    assert "none of the 24 faces drawn lacks it" in capsys.readouterr().err
