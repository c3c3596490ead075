"""The ONNX runtime works where TensorFlow cannot be imported, is deterministic, and rejects bad inputs clearly."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Run in a fresh interpreter in which tensorflow, keras, tf2onnx and zoo cannot be imported at all.
BLOCKED = """
import sys

class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("tensorflow", "keras", "tf2onnx", "tf_keras", "zoo"):
            raise ImportError(f"{name} is blocked in this test")

sys.meta_path.insert(0, Blocker())
"""


def _run_blocked(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", BLOCKED + code, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def test_runtime_samples_and_writes_pngs_without_tensorflow(exported, tmp_path):
    model, _, path = exported("dcgan_generator", "onnx")
    code = """
import json, sys
import numpy as np
from export.runtime import OnnxGenerator
from export.sample import main
path, out = sys.argv[1], sys.argv[2]
g = OnnxGenerator(path)
np.save(out + "/sample.npy", g.sample(5, seed=3))
np.save(out + "/decoded.npy", g.decode(np.random.default_rng(1).standard_normal((2, g.latent_dim)).astype("float32")))
assert main([path, "--n", "4", "--seed", "0", "--out", out + "/a.png"]) == 0
assert main([path, "--n", "4", "--seed", "0", "--out", out + "/b.png"]) == 0
assert main([path, "--n", "4", "--seed", "1", "--out", out + "/c.png"]) == 0
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras", "zoo"))))
"""
    result = _run_blocked(code, path, str(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []

    sample = np.load(tmp_path / "sample.npy")
    assert sample.dtype == np.uint8 and sample.shape == (5, 16, 16, 3)
    # The same images as Keras gives for the same latents, up to rounding at a uint8 boundary.
    z = np.random.default_rng(3).standard_normal((5, 8)).astype(np.float32)
    expected = np.clip(np.round((np.asarray(model(z)) + 1) * 127.5), 0, 255)
    assert np.max(np.abs(sample.astype(int) - expected)) <= 1
    assert np.load(tmp_path / "decoded.npy").shape == (2, 16, 16, 3)

    a, b, c = ((tmp_path / f"{n}.png").read_bytes() for n in "abc")
    assert a == b and a != c  # same seed, same PNG; another seed, other faces
    from PIL import Image

    assert Image.open(tmp_path / "a.png").size == (2 + 2 * 18, 2 + 2 * 18)  # a 2x2 grid of 16 px, 2 px padding


def test_wrong_input_shape_or_dtype_names_the_expected_one(exported):
    from export.runtime import OnnxClassifier, OnnxGenerator

    g = OnnxGenerator(exported("dcgan_generator", "onnx")[2])
    with pytest.raises(ValueError, match=r"must have shape float32 \[batch, 8\], got float32 \[2, 7\]"):
        g.decode(np.zeros((2, 7), np.float32))
    with pytest.raises(ValueError, match=r"float32 \[batch, 8\], got float32 \[8\]"):
        g.decode(np.zeros(8, np.float32))
    with pytest.raises(TypeError, match=r"must be float32, got float64 \(expected float32 \[batch, 8\]"):
        g.decode(np.zeros((2, 8)))
    with pytest.raises(ValueError, match="n must be a positive integer, got 0"):
        g.sample(0)

    c = OnnxClassifier(exported("face_classifier", "onnx")[2])
    with pytest.raises(ValueError, match=r"float32 \[batch, 16, 16, 1\], got float32 \[1, 16, 16, 3\]"):
        c.predict(np.zeros((1, 16, 16, 3), np.float32))
    with pytest.raises(TypeError, match=r"uint8 \[0, 255\] or float32 in \[-1.0, 1.0\].*got int64"):
        c.predict(np.zeros((1, 16, 16, 1), np.int64))
    with pytest.raises(ValueError, match="a generator takes latents"):
        OnnxGenerator(exported("face_classifier", "onnx")[2])


def test_classifier_predicts_uint8_images_as_keras_does(exported):
    from export.runtime import OnnxClassifier

    model, _, path = exported("face_classifier", "onnx")
    images = np.random.default_rng(0).integers(0, 256, (3, 16, 16, 1), dtype=np.uint8)
    got = OnnxClassifier(path).predict(images)
    want = model(images.astype(np.float32) / 127.5 - 1.0)
    assert sorted(got) == ["age", "gender"]
    for task in got:
        assert np.max(np.abs(got[task] - np.asarray(want[task]))) <= 1e-4


def test_vae_runtime_encodes_and_decodes_as_keras_does(exported):
    from export.runtime import OnnxVAE

    encoder, _, encoder_path = exported("dfc_vae_encoder", "onnx")
    decoder, _, decoder_path = exported("dfc_vae_decoder", "onnx")
    vae = OnnxVAE(encoder_path, decoder_path)
    images = np.random.default_rng(0).integers(0, 256, (2, 16, 16, 3), dtype=np.uint8)
    stats = vae.encode(images)
    mean, log_var = encoder(images.astype(np.float32) / 127.5 - 1.0)
    assert np.max(np.abs(stats["z_mean"] - np.asarray(mean))) <= 1e-4
    assert np.max(np.abs(stats["z_log_var"] - np.asarray(log_var))) <= 1e-4
    expected = np.clip(np.round((np.asarray(decoder(np.asarray(mean))) + 1) * 127.5), 0, 255)
    assert np.max(np.abs(vae.reconstruct(images).astype(int) - expected)) <= 1


def test_sample_cli_rejects_a_classifier(exported, tmp_path, capsys):
    from export.sample import main

    assert main([exported("face_classifier", "onnx")[2], "--out", str(tmp_path / "x.png")]) == 2
    assert "a generator takes latents [batch, latent_dim]" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_batch_size_and_counts_are_checked_before_onnx_runtime(exported):
    from export.runtime import MAX_BATCH, OnnxGenerator

    g = OnnxGenerator(exported("dcgan_generator", "onnx")[2])
    z = np.zeros((2, 8), np.float32)
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match=rf"batch_size must be an integer from 1 to {MAX_BATCH} .*, got {bad!r}"):
            g.decode(z, batch_size=bad)
    with pytest.raises(ValueError, match="batch_size must be an integer"):
        g.sample(2, batch_size=0)
    with pytest.raises(ValueError, match="batch_size must be an integer"):
        g.sample(2, batch_size=MAX_BATCH + 1)
    # 10**9 images would need terabytes: refused with the number that fits, before any latent is drawn.
    with pytest.raises(ValueError, match=r"sample\(1000000000\): .* GiB; at most \d+ fit"):
        g.sample(10**9)
    with pytest.raises(ValueError, match=r"latents\(1000000000000\): .* GiB"):
        g.latents(10**12)
    assert g.sample(3, seed=0, batch_size=1).shape == (3, 16, 16, 3)


def test_sample_cli_refuses_a_huge_count_with_exit_2(exported, tmp_path, capsys):
    from export.sample import main

    assert main([exported("dcgan_generator", "onnx")[2], "--n", str(10**9), "--out", str(tmp_path / "x.png")]) == 2
    assert "sample(1000000000)" in capsys.readouterr().err and not (tmp_path / "x.png").exists()


def test_non_finite_latents_are_refused(exported):
    from export.runtime import OnnxGenerator

    g = OnnxGenerator(exported("dcgan_generator", "onnx")[2])
    z = np.random.default_rng(0).standard_normal((4, 8)).astype(np.float32)
    z[1, 3], z[3, 0] = np.nan, np.inf
    with pytest.raises(ValueError, match=r"latents must be finite; rows \[1, 3\] hold NaN or inf"):
        g.decode(z)


def test_float_images_outside_the_input_range_are_refused(exported):
    from export.runtime import OnnxClassifier

    c = OnnxClassifier(exported("face_classifier", "onnx")[2])
    pixels = np.random.default_rng(0).integers(0, 256, (3, 16, 16, 1)).astype(np.float32)
    with pytest.raises(ValueError, match=r"must be in \[-1, 1\], got values from .* look like 0-255"):
        c.predict(pixels)
    with pytest.raises(ValueError, match="NaN or inf"):
        c.predict(np.full((1, 16, 16, 1), np.nan, np.float32))
    scaled = pixels / 127.5 - 1.0
    whole, one_by_one = c.predict(scaled), c.predict(scaled, batch_size=1)  # run in chunks, same answers
    for task in whole:
        np.testing.assert_allclose(one_by_one[task], whole[task], atol=1e-5)
        np.testing.assert_allclose(c.predict(pixels.astype(np.uint8))[task], whole[task], atol=1e-5)


def test_missing_onnx_extras_are_named(tmp_path, monkeypatch, capsys):
    code = BLOCKED.replace('"zoo")', '"zoo", "onnxruntime")') + """
import sys
from export.sample import main
assert main(["m.onnx", "--out", sys.argv[1] + "/x.png"]) == 2
try:
    import export.runtime
except ImportError as e:
    print("IMPORT:", e)
"""
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'pip install "facezoo[runtime]"' in result.stderr and "Traceback" not in result.stderr
    assert 'IMPORT: export.runtime needs ONNX Runtime, an optional extra: pip install "facezoo[runtime]"' in result.stdout

    import importlib.util

    from export.__main__ import main

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "tf2onnx" else find_spec(name, *a))
    assert main(["--preset", "dcgan_utkface_64", "--format", "onnx", "--out", str(tmp_path / "o")]) == 2
    assert 'needs tf2onnx, from an optional extra: pip install "facezoo[onnx]"' in capsys.readouterr().err


def test_the_runtime_extra_names_onnxruntime_numpy_and_pillow():
    import configparser
    import re

    from export.runtime_wheel import REQUIRES

    cfg = configparser.ConfigParser()
    cfg.read(os.path.join(ROOT, "setup.cfg"))
    extra = [r for r in cfg["options.extras_require"]["runtime"].split("\n") if r.strip()]
    names = lambda reqs: sorted(re.split(r"[<>=\[ ]", r.strip())[0].lower() for r in reqs)  # noqa: E731
    assert names(extra) == names(REQUIRES) == ["numpy", "onnxruntime", "pillow"]


def test_the_runtime_wheel_installs_and_samples_away_from_the_repo(exported, tmp_path):
    """The facezoo-runtime wheel, installed into an empty folder, run from outside the repository with site
    processing off (no editable facezoo): it imports nothing beyond what numpy, onnxruntime and Pillow import."""
    import sysconfig
    import zipfile

    from export.runtime_wheel import build

    path = exported("dcgan_generator", "onnx")[2]
    wheel = build(str(tmp_path / "dist"))
    with zipfile.ZipFile(wheel) as z:
        assert sorted(n for n in z.namelist() if n.startswith("export/")) == \
            ["export/__init__.py", "export/face_align.py", "export/face_detector/LICENCE",
             "export/face_detector/face_detector.json", "export/face_detector/onet.onnx",
             "export/face_detector/pnet.onnx", "export/face_detector/rnet.onnx", "export/mtcnn_steps.py",
             "export/onnx_passes.py", "export/predict.py", "export/runtime.py", "export/runtime_ddim.py",
             "export/runtime_face.py", "export/sample.py"]
        metadata = z.read(next(n for n in z.namelist() if n.endswith("/METADATA"))).decode()
    assert [r for r in metadata.splitlines() if r.startswith("Requires-Dist")] == \
        ["Requires-Dist: numpy>=1.26", "Requires-Dist: onnxruntime>=1.32", "Requires-Dist: pillow>=10.0"]
    site = tmp_path / "site"
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", "--target",
                          str(site), wheel], capture_output=True, text=True, timeout=300)
    assert pip.returncode == 0, pip.stderr[-2000:]
    code = BLOCKED + """
import json
sys.path[:0] = sys.argv[3:]
import numpy, numpy.random, onnxruntime, PIL.Image  # what the three requirements import themselves
base = {m.split(".")[0] for m in sys.modules}
import export, export.runtime
from export.sample import main
assert export.__file__.startswith(sys.argv[3]), export.__file__
images = export.runtime.OnnxGenerator(sys.argv[1]).sample(3, seed=0)
assert images.shape == (3, 16, 16, 3) and images.dtype == numpy.uint8
assert main([sys.argv[1], "--n", "4", "--out", sys.argv[2]]) == 0
added = {m.split(".")[0] for m in sys.modules} - base - set(sys.stdlib_module_names)
print(json.dumps(sorted(added)))
"""
    packages = [str(site)] + sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    result = subprocess.run([sys.executable, "-S", "-c", code, path, str(tmp_path / "grid.png"), *packages],
                            cwd=str(tmp_path), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == ["export"]
    assert (tmp_path / "grid.png").stat().st_size > 0


@pytest.mark.parametrize("bad", [[0, 0], [1, -1], [0, float("inf")], ["0", "1"], [1]])
def test_a_model_card_range_that_is_not_low_below_high_is_refused(exported, tmp_path, capsys, bad):
    import shutil

    from export.runtime import OnnxClassifier, OnnxGenerator
    from export.sample import main

    for name, cls, key in (("dcgan_generator", OnnxGenerator, "outputs"), ("face_classifier", OnnxClassifier, "inputs")):
        src = exported(name, "onnx")[2]
        path = str(tmp_path / f"{name}.onnx")
        shutil.copy(src, path)
        shutil.copy(src + ".json", path + ".json")
        card = json.load(open(src + ".json"))
        assert cls(path).card[key][0]["range"] == [-1, 1]  # the card as exported loads
        card[key][0]["range"] = bad
        with open(path + ".json", "w") as f:
            f.write(json.dumps(card))  # inf as Infinity, as Python writes it
        with pytest.raises(ValueError, match=rf"{name}\.onnx\.json: {key}\[0\]: range .* is not a value range; "
                                             r"expected \[low, high\], two finite numbers with low < high"):
            cls(path)
    capsys.readouterr()
    assert main([str(tmp_path / "dcgan_generator.onnx"), "--n", "1", "--out", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert "is not a value range" in err and "Traceback" not in err and not os.path.exists(tmp_path / "x.png")
