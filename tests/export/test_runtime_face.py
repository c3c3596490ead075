"""The TensorFlow-free photo path (export.runtime_face, export.mtcnn_steps, export.predict): MTCNN's numpy steps
against TensorFlow's ops, the shipped ONNX networks against the package's, the runtime's faces against the TF
detector's on real UTKFace chips placed off-centre in photos, and a photo without a face said so."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from export import mtcnn_steps as steps
from tests.conftest import UTKFACE_REAL, needs_real_utkface
from tests.export.test_runtime import BLOCKED, ROOT, _run_blocked

DEMO_FACE = os.path.join(ROOT, "demo", "examples", "face_seed2.png")  # a generated face shipped with the demo


def demo_photo() -> np.ndarray:
    """The generated demo face enlarged and placed off-centre on a flat 300x400 background."""
    face = Image.open(DEMO_FACE).convert("RGB").resize((160, 160), Image.Resampling.BICUBIC)
    canvas = np.full((300, 400, 3), 90, np.uint8)
    canvas[100:260, 200:360] = np.asarray(face)
    return canvas


@pytest.fixture(scope="module")
def detector():
    from export.runtime_face import OnnxFaceDetector

    return OnnxFaceDetector()


# -- the numpy steps are TensorFlow's ops -----------------------------------------------------------------------
@pytest.mark.parametrize("shape, scale", [((37, 53), 0.6), ((200, 200), 0.709 ** 3 * 0.6), ((31, 29), 0.3)])
def test_area_resize_is_tensorflows(shape, scale):
    import tensorflow as tf

    image = np.random.default_rng(0).uniform(-1, 1, (*shape, 3)).astype(np.float32)
    got = steps.resize_area(image, scale)
    want = tf.image.resize(image[None], np.asarray(shape) * scale, method="area")[0].numpy()
    assert got.shape == want.shape
    assert np.max(np.abs(got - want)) < 1e-5


def test_crop_and_resize_is_tensorflows_also_past_the_border():
    import tensorflow as tf

    image = np.random.default_rng(1).uniform(-1, 1, (40, 60, 3)).astype(np.float32)
    boxes = np.array([[5.0, 3.0, 30.5, 28.5], [-10.0, 20.0, 25.0, 55.0], [40.0, -5.0, 70.0, 25.0]])  # x1 y1 x2 y2
    got = steps.crop_and_resize(image, boxes, 24)
    normalized = boxes[:, [1, 0, 3, 2]] / [40, 60, 40, 60]
    want = tf.image.crop_and_resize(image[None], normalized, np.zeros(3, np.int32), (24, 24)).numpy()
    assert np.max(np.abs(got - want)) < 1e-5
    assert np.all(got[1][:, :5] == 0)  # samples left of the picture are TensorFlow's extrapolation value


def test_pyramid_is_the_packages():
    from mtcnn.utils.images import build_scale_pyramid

    for w, h in ((200, 200), (640, 480), (25, 90), (12, 12)):
        np.testing.assert_allclose(steps.scale_pyramid(w, h, 20, 0.709),
                                   build_scale_pyramid(w, h, min_face_size=20, scale_factor=0.709))


def test_nms_drops_a_box_overlapping_a_dropped_one_as_the_package_does():
    from mtcnn.utils.bboxes import smart_nms_from_bboxes

    # b overlaps a (dropped), c overlaps b only: greedy NMS would keep c, the package's NMS does not.
    boxes = np.array([[0, 0, 0, 10, 10, 0.9], [0, 4, 0, 14, 10, 0.8], [0, 8, 0, 18, 10, 0.7],
                      [0, 50, 50, 60, 60, 0.6]], np.float64)
    got = steps.nms(boxes, 0.3)
    np.testing.assert_array_equal(got, smart_nms_from_bboxes(boxes, threshold=0.3))
    assert got[:, 5].tolist() == [0.9, 0.6]


# -- the shipped files ------------------------------------------------------------------------------------------
def test_the_shipped_networks_are_the_packages_and_the_card_its_settings():
    import onnxruntime as ort

    from export.face_detector import NETWORKS, parity_inputs, pipeline_settings
    from export.runtime_face import DEFAULT_DIR, read_card
    from zoo.data.face_detector import _stages
    from zoo.data.photo_input import template_and_side
    from zoo.utils.io import sha256_file

    card = read_card(DEFAULT_DIR)
    assert card["settings"] == pipeline_settings()
    template, side = template_and_side("utkface")
    assert card["template"]["landmarks"] == template["landmarks"] and card["template"]["side"] == side
    for stage, (name, (shape, _)) in zip(_stages(), NETWORKS.items()):
        path = os.path.join(DEFAULT_DIR, f"{name}.onnx")
        assert sha256_file(path) == card["networks"][name]["sha256"]
        x = parity_inputs(shape, seed=5)
        got = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"image": x})
        for g, w in zip(got, stage.model(x)):
            assert np.max(np.abs(g - np.asarray(w))) < 1e-4


def test_the_runtimes_names_and_mark_are_the_zoos():
    from export.predict import LABELS, LOW_CONFIDENCE
    from zoo.classification.predict import LOW_CONFIDENCE as ZOO_LOW
    from zoo.data.utkface import GENDERS, RACES

    assert LABELS == {"gender": GENDERS, "ethnicity": RACES} and LOW_CONFIDENCE == ZOO_LOW


def test_model_pixels_match_the_training_pipelines_resize():
    from export.face_align import model_pixels
    from zoo.data.transforms import model_input

    photo = np.asarray(Image.open(DEMO_FACE).convert("RGB").resize((200, 200), Image.Resampling.BICUBIC))
    for size, channels in ((48, 1), (64, 3)):
        want = np.round((model_input(photo, size, channels)[0] + 1) * 127.5)
        got = model_pixels(photo, size, channels).astype(np.float64)
        assert got.shape == want.shape and np.mean(np.abs(got - want)) < 1.0 and np.max(np.abs(got - want)) <= 8


# -- faces ------------------------------------------------------------------------------------------------------
def real_photos(count: int, seed: int = 0):
    """``count`` UTKFace chips (seeded) and each re-rendered as a photo by bench.align_photos.render_photo."""
    from bench.align_photos import render_photo

    names = sorted(f for f in os.listdir(UTKFACE_REAL) if f.endswith(".jpg.chip.jpg"))
    rng = np.random.default_rng(seed)
    picked = rng.choice(len(names), 2 * count, replace=False)
    read = [np.asarray(Image.open(os.path.join(UTKFACE_REAL, names[i])).convert("RGB")) for i in picked]
    chips, backgrounds = read[:count], read[count:]
    return chips, [render_photo(c, b, rng) for c, b in zip(chips, backgrounds)]


@needs_real_utkface()
def test_runtime_faces_are_the_tensorflow_detectors_on_photos_of_real_faces(detector):
    from zoo.data.face_detector import FaceDetector

    chips, photos = real_photos(5)
    reference = FaceDetector()
    for image in photos + chips[:2]:
        want, got = reference.detect(image), detector.detect(image)
        assert len(got) == len(want) >= 1
        for a, b in zip(want, got):
            assert np.max(np.abs(a.landmarks - b.landmarks)) < 0.5  # px; a half-pixel convention slip fails
            assert np.max(np.abs(np.subtract(a.box, b.box))) < 0.5 and abs(a.confidence - b.confidence) < 1e-3


@needs_real_utkface()
def test_the_aligned_face_of_an_off_centre_chip_is_closer_to_the_chip_than_the_central_square(detector):
    from export.face_align import central_square

    chips, photos = real_photos(4, seed=1)
    for chip, photo in zip(chips, photos):
        ((face, crop),) = detector.face_crops(photo)
        square = np.asarray(Image.fromarray(central_square(photo)).resize(chip.shape[:2][::-1]), np.float64)
        aligned = np.mean(np.abs(crop.astype(np.float64) - chip))
        assert crop.shape == chip.shape and aligned < 0.7 * np.mean(np.abs(square - chip))


def test_a_photo_without_a_face_is_an_empty_result_and_the_cli_says_so(detector, exported, tmp_path, capsys):
    from export.predict import main
    from export.runtime import OnnxClassifier

    flat = np.full((240, 320, 3), 128, np.uint8)
    noise = np.random.default_rng(0).integers(0, 256, (240, 320, 3), dtype=np.uint8)
    assert detector.detect(flat) == [] and detector.face_crops(noise) == []
    classifier = OnnxClassifier(exported("face_classifier", "onnx")[2])
    assert classifier.predict_photos(noise, detector) == []
    (unaligned,) = classifier.predict_photos(noise, align=False)  # asked for: the central square, no box
    assert unaligned["box"] is None and unaligned["crop"].shape == (240, 240, 3)
    Image.fromarray(flat).save(tmp_path / "flat.png")
    assert main([exported("face_classifier", "onnx")[2], str(tmp_path / "flat.png")]) == 2
    err = capsys.readouterr().err
    assert f"no face found in {tmp_path / 'flat.png'}" in err and "of 1 photos, 1 without a face" in err


def test_the_photo_path_runs_with_tensorflow_blocked(exported, tmp_path):
    path = exported("face_classifier", "onnx")[2]
    Image.fromarray(demo_photo()).save(tmp_path / "face.png")
    Image.fromarray(np.full((100, 100, 3), 200, np.uint8)).save(tmp_path / "flat.png")
    code = """
import json, sys
import numpy as np
from PIL import Image
from export.runtime import OnnxClassifier
from export.runtime_face import OnnxFaceDetector
from export.predict import main
model, folder = sys.argv[1], sys.argv[2]
photo = np.asarray(Image.open(folder + "/face.png"))
((face, crop),) = OnnxFaceDetector().face_crops(photo)
rows = OnnxClassifier(model).predict_photos(photo)
assert main([model, folder, "--csv", folder + "/out.csv"]) == 0
print(json.dumps({"box": face.box, "crop": list(crop.shape), "rows": len(rows), "outputs": sorted(rows[0]["outputs"]),
                  "modules": sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras", "zoo"))}))
"""
    result = _run_blocked(code, path, str(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["modules"] == [] and out["crop"] == [200, 200, 3] and out["rows"] == 1
    assert out["outputs"] == ["age", "gender"]
    x, y, w, h = out["box"]
    assert 200 < x + w / 2 < 360 and 100 < y + h / 2 < 260 and 60 < w < 200  # the face where it was placed
    lines = (tmp_path / "out.csv").read_text().splitlines()
    assert lines[0].startswith("file,face,box") and len(lines) == 2 and "face.png" in lines[1]
    assert "no face found in" in result.stderr and "1 of 2 photos without a face" in result.stderr


def test_the_runtime_wheel_finds_faces_away_from_the_repo(tmp_path):
    """The wheel carries the detector: installed into an empty folder and run with site processing off."""
    import sysconfig

    from export.runtime_wheel import build

    wheel = build(str(tmp_path / "dist"))
    site = tmp_path / "site"
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", "--target",
                          str(site), wheel], capture_output=True, text=True, timeout=300)
    assert pip.returncode == 0, pip.stderr[-2000:]
    Image.fromarray(demo_photo()).save(tmp_path / "face.png")
    code = BLOCKED + """
sys.path[:0] = sys.argv[2:]
import numpy as np
from PIL import Image
import export.runtime_face as rf
assert rf.__file__.startswith(sys.argv[2]), rf.__file__
print(len(rf.OnnxFaceDetector().detect(np.asarray(Image.open(sys.argv[1])))))
"""
    packages = [str(site)] + sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    result = subprocess.run([sys.executable, "-S", "-c", code, str(tmp_path / "face.png"), *packages],
                            cwd=str(tmp_path), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "1"


def test_the_face_detector_command_refuses_a_file_as_its_folder(tmp_path, capsys):
    from export.__main__ import main

    (tmp_path / "x").write_text("")
    assert main(["face-detector", str(tmp_path / "x")]) == 2
    assert "is a file, expected a folder" in capsys.readouterr().err
