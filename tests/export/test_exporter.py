"""ONNX and SavedModel exports match Keras, carry a model card, and a mixed-precision model exports as float32."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from tests.export.conftest import FAMILIES, build, inputs_for


def _keras_outputs(model, x):
    import keras

    from export.exporter import call_kwargs

    return [np.asarray(o) for o in keras.tree.flatten(model(x, training=False, **call_kwargs(model)))]


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_onnx_matches_keras(exported, family):
    import onnxruntime as ort

    from zoo.utils.io import sha256_file

    model, card, path = exported(family, "onnx")
    assert card["parity"]["ok"] and card["parity"]["max_abs_diff"] <= 1e-4
    assert card["sha256"] == sha256_file(path)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == [card["inputs"][0]["name"]]
    assert [o.name for o in session.get_outputs()] == [o["name"] for o in card["outputs"]]
    for batch in (3, 1):  # the batch dimension is dynamic
        x = inputs_for(family, batch, seed=100 + batch)
        got = session.run(None, {session.get_inputs()[0].name: x})
        want = _keras_outputs(model, x)
        assert [g.shape for g in got] == [w.shape for w in want]
        assert max(np.max(np.abs(g - w)) for g, w in zip(got, want)) <= 1e-4


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_savedmodel_matches_keras(exported, family):
    import tensorflow as tf

    model, card, path = exported(family, "savedmodel")
    assert card["parity"]["ok"] and os.path.isfile(os.path.join(path, "saved_model.pb"))
    loaded = tf.saved_model.load(path)
    x = inputs_for(family, 3, seed=7)
    got = [np.asarray(o) for o in tf.nest.flatten(loaded.serve(tf.constant(x)))]
    want = _keras_outputs(model, x)
    assert max(np.max(np.abs(g - w)) for g, w in zip(got, want)) <= 1e-4


def test_model_card_describes_the_generator(exported):
    _, card, path = exported("dcgan_generator", "onnx")
    on_disk = json.load(open(path + ".json"))
    assert on_disk["kind"] == "generator" and on_disk["class_name"] == "DCGANGenerator"
    assert on_disk["inputs"] == [{"name": "z", "shape": [None, 8], "dtype": "float32",
                                  "range": "standard normal N(0, 1) latent vectors"}]
    assert on_disk["outputs"] == [{"name": "images", "shape": [None, 16, 16, 3], "dtype": "float32",
                                   "range": [-1.0, 1.0]}]
    assert on_disk["source"] == {"test": "dcgan_generator"} and on_disk["opset"] == 17


def test_classifier_card_names_each_head_and_checks_real_images(exported):
    _, card, _ = exported("face_classifier", "onnx")
    assert [(o["name"], o["shape"]) for o in card["outputs"]] == [("age", [None]), ("gender", [None, 2])]
    assert card["inputs"][0]["shape"] == [None, 16, 16, 1] and card["inputs"][0]["range"] == [-1.0, 1.0]
    assert any("real images" in c["inputs"] for c in card["parity"]["checks"])


def test_vae_encoder_outputs_are_named_and_composites_export_their_parts(exported):
    from export.exporter import inference_parts

    _, card, _ = exported("dfc_vae_encoder", "onnx")
    assert card["kind"] == "encoder" and [o["name"] for o in card["outputs"]] == ["z_mean", "z_log_var"]

    class Trainer:  # a VAE-GAN trainer's shape: the discriminator is not an inference part
        encoder, decoder, discriminator = build("dfc_vae_encoder"), build("dfc_vae_decoder"), object()

    assert [(p.name, p.kind) for p in inference_parts(Trainer())] == [("encoder", "encoder"), ("decoder", "decoder")]


def test_mixed_precision_model_exports_as_float32(tmp_path):
    import keras
    import onnx
    import onnxruntime as ort

    from export.exporter import export_model, is_float32

    keras.config.set_dtype_policy("mixed_float16")
    try:
        mixed = build("dcgan_generator")
    finally:
        keras.config.set_dtype_policy("float32")
    assert not is_float32(mixed)
    (card,) = export_model(mixed, str(tmp_path), "onnx", log=print)
    assert card["float32_rebuild"]["policy"] == "mixed_float16" and card["parity"]["ok"]

    proto = onnx.load(str(tmp_path / "generator.onnx"))
    float32 = onnx.TensorProto.FLOAT
    # float32 weights (integer tensors are shapes); nothing in half precision.
    assert {t.data_type for t in proto.graph.initializer} <= {float32, onnx.TensorProto.INT64, onnx.TensorProto.INT32}
    assert float32 in {t.data_type for t in proto.graph.initializer}
    assert all(v.type.tensor_type.elem_type == float32 for v in [*proto.graph.input, *proto.graph.output])
    assert not [n for n in proto.graph.node if n.op_type == "Cast" and any(
        a.name == "to" and a.i == onnx.TensorProto.FLOAT16 for a in n.attribute)]

    # The same weights in a model built in float32 give the ONNX outputs: the weights were copied over.
    reference = build("dcgan_generator")
    reference.set_weights(mixed.get_weights())
    x = inputs_for("dcgan_generator", 4, seed=3)
    session = ort.InferenceSession(str(tmp_path / "generator.onnx"), providers=["CPUExecutionProvider"])
    got = session.run(None, {"z": x})[0]
    assert np.max(np.abs(got - np.asarray(reference(x)))) <= 1e-4
    assert np.max(np.abs(got - np.asarray(mixed(x)))) < 0.05  # float16 rounding only


def test_cli_exports_a_preset_and_prints_the_parity(tmp_path, capsys):
    from export.__main__ import main
    from zoo.registry import save_to_preset

    preset = save_to_preset(build("dcgan_generator"), str(tmp_path / "preset"),
                            {"dataset": "synthetic", "resolution": 16, "licence": "CC0"})
    out = tmp_path / "onnx"
    assert main(["--preset", preset, "--format", "onnx", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "parity generator onnx: max |onnx - keras| = " in printed and "(limit 0.0001 x max(1, |output|)): ok" in printed
    card = json.load(open(out / "generator.onnx.json"))
    assert card["source"]["preset"] == preset and card["licence"] == "CC0"

    assert main(["--preset", preset, "--format", "onnx", "--out", str(out), "--parts", "encoder"]) == 2
    assert "--parts encoder: not a part of this model (it has generator)" in capsys.readouterr().err
    assert main(["--preset", str(tmp_path / "missing"), "--format", "onnx", "--out", str(out)]) == 2
    assert "unknown preset" in capsys.readouterr().err
    assert main(["--preset", preset, "--format", "onnx", "--out", str(out), "--opset", "9"]) == 2
    assert "--opset 9: tf2onnx converts to opsets 13 to 18" in capsys.readouterr().err


def test_parity_inputs_use_real_images_or_synthetic_faces(monkeypatch, utkface_dir):
    import export.exporter as exporter

    part = exporter.Part("classifier", "classifier", object())
    real = exporter.parity_inputs(part, (None, 16, 16, 1), utkface_dir)[-1]
    assert real[0].startswith("8 real images from") and real[1].shape == (8, 16, 16, 1)  # bad files skipped
    import export.parts

    monkeypatch.setattr(export.parts, "default_images_dir", lambda: None)
    desc, faces = exporter.parity_inputs(part, (None, 16, 16, 3), None)[-1]
    assert desc.startswith("8 synthetic faces") and faces.shape == (8, 16, 16, 3) and faces.dtype == np.float32
    assert -1.0 <= faces.min() < faces.max() <= 1.0 and faces.std() > 0.05


def test_a_young_stylegan_run_exports_with_parity_untouched(tmp_path):
    # Issue 14 item 10: a few steps leave the learned constant nearly flat; its instance norm used to amplify
    # rounding noise that ONNX and TF order differently (parity 0.056). No perturbation of the model here.
    import tensorflow as tf

    from export.exporter import export_model
    from zoo.models.progan import ProGANDiscriminator
    from zoo.models.stylegan import StyleGANGenerator
    from zoo.trainers.progressive_trainer import ProgressiveTrainer
    from zoo.training.setup import make_optimizer

    g = StyleGANGenerator(8, 8, 8, 3, mapping_layers=2, fmap_base=32, fmap_max=8, seed=0)
    t = ProgressiveTrainer(g, ProGANDiscriminator(8, 3, fmap_base=32, fmap_max=8, mbstd_group_size=2),
                           loss="logistic_r1", ema_decay=0.0)  # EMA = the trained weights
    t.compile(g_optimizer=make_optimizer("adam", 1e-3, 0.0, 0.99, epsilon=1e-8),
              d_optimizer=make_optimizer("adam", 1e-3, 0.0, 0.99, epsilon=1e-8), run_eagerly=True)
    t.build_all()
    t.enter_level(1, images=16, fade_images=8)
    for seed in range(3):
        t.train_step(tf.constant(np.random.default_rng(seed).uniform(-1, 1, (4, 8, 8, 3)).astype("float32")))
    const = g.synthesis.const.numpy()
    assert 0 < np.abs(const - 1).max() < 0.01  # moved, but still nearly flat
    (card,) = export_model(t, str(tmp_path), "onnx", source={"test": "young stylegan"}, log=print)
    assert card["parity"]["ok"] and card["parity"]["max_abs_diff"] <= 1e-4, card["parity"]


def test_parity_is_absolute_for_small_outputs_and_relative_for_large_ones():
    from export.exporter import parity

    image, logvar = np.full((2, 4), 0.5), np.full((2, 4), -215.0)
    assert parity([image, logvar], [image + 5e-5, logvar + 5e-4]) == (pytest.approx(5e-4), True)  # float32 rounding
    assert parity([image, logvar], [image + 5e-4, logvar])[1] is False  # an image off by 5e-4 is a real error
    assert parity([image, logvar], [image, logvar + 0.05])[1] is False  # 0.05 in 215 is more than rounding


def test_a_gan_trainer_keeping_an_ema_exports_its_ema_generator():
    # The run's model as zoo.runs defines it: the EMA generator (issue 28 item 2), not the trained one.
    import keras

    from export.exporter import inference_parts
    from zoo.models.dcgan import DCGANDiscriminator, DCGANGenerator
    from zoo.trainers import GANTrainer

    t = GANTrainer(DCGANGenerator(latent_dim=8, image_size=8, base_filters=4),
                   DCGANDiscriminator(image_size=8, base_filters=4), ema_half_life_images=4.0)
    t.compile(g_optimizer=keras.optimizers.Adam(1e-2), d_optimizer=keras.optimizers.Adam(1e-2), run_eagerly=True)
    t.build_all()
    t.train_step(np.random.default_rng(0).uniform(-1, 1, (2, 8, 8, 3)).astype("float32"))
    (part,) = inference_parts(t)
    z = np.random.default_rng(1).standard_normal((2, 8)).astype("float32")
    assert part.kind == "generator" and part.model.run_info["weights"] == "ema"
    np.testing.assert_allclose(np.asarray(part.model(z, training=False)), np.asarray(t.sample(z)), atol=1e-6)
    assert np.abs(np.asarray(part.model(z, training=False)) - np.asarray(t.generator(z, training=False))).max() > 1e-4
