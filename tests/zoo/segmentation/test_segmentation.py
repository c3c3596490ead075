"""The shipped offline segmenter as a rembg session, custom ONNX files through rembg, model choice."""

import os

import numpy as np
import pytest
from PIL import Image

from zoo.data.errors import DataError


@pytest.fixture(scope="module")
def selfie():
    from zoo.segmentation.selfie import SelfieSegmentationSession

    return SelfieSegmentationSession()


def test_shipped_weights_come_with_their_licence():
    from zoo.segmentation.selfie import WEIGHTS
    from zoo.utils.io import sha256_file

    folder = os.path.dirname(WEIGHTS)
    assert "Apache License" in open(os.path.join(folder, "LICENCE")).read()
    assert sha256_file(WEIGHTS) in open(os.path.join(folder, "NOTICE.md")).read()  # the file NOTICE describes


def test_rembg_remove_runs_the_shipped_session(selfie):
    from rembg import remove

    from zoo.data.synthetic import render_faces

    image = Image.fromarray(render_faces(0, 1, 24, seed=0).images[0])
    mask = remove(image, session=selfie, only_mask=True)
    assert mask.mode == "L" and mask.size == image.size
    cutout = remove(image, session=selfie)
    assert cutout.mode == "RGBA"
    np.testing.assert_array_equal(np.asarray(cutout)[..., 3], np.asarray(mask))  # alpha is the mask


def test_iou_on_synthetic_faces_is_far_above_the_trivial_mask(selfie):
    """The synthetic faces' masks are known. The converted network measured 0.79 mean IoU on 16 faces at 32 px
    (bench.segmenter_iou); the all-foreground mask gets 0.29. Broken pre-processing (BGR, 0-255 input, wrong
    resize) or a wrong transposed convolution drops it to the trivial level."""
    from zoo.data.remove_background import segment
    from zoo.data.synthetic import render_faces
    from zoo.segmentation import mask_iou

    faces = render_faces(0, 16, 32, seed=123)
    iou = np.mean([mask_iou(segment(im, selfie), m) for im, m in zip(faces.images, faces.masks)])
    floor = np.mean([mask_iou(np.ones_like(m), m) for m in faces.masks])
    assert iou > 0.6 and iou > floor + 0.3, (iou, floor)


def test_mask_iou_by_hand():
    from zoo.segmentation import mask_iou

    a = np.array([[1, 1], [0, 0]])
    assert mask_iou(a, np.array([[255, 0], [0, 0]])) == pytest.approx(0.5)
    assert mask_iou(np.zeros((2, 2)), np.zeros((2, 2))) == 1.0
    assert mask_iou(np.array([[0.6, 0.4]]), np.array([[1, 1]])) == pytest.approx(0.5)


def test_transposed_convolution_reference_matches_tensorflow():
    """The numpy reference the conversion is checked against, against tf.nn.conv2d_transpose (same OHWI kernel
    read as HWOI by TF), for the network's case (2x2, stride 2) and an overlapping one (3x3, stride 2, SAME)."""
    import tensorflow as tf

    from zoo.segmentation.convert import transpose_conv_bias

    rng = np.random.default_rng(0)
    for k, h in ((2, 4), (3, 4)):  # shapes where MediaPipe's SAME output size equals TF's (stride x input)
        x = rng.standard_normal((2, h, h, 3)).astype(np.float32)
        w = rng.standard_normal((4, k, k, 3)).astype(np.float32)  # [O, kh, kw, I]
        b = rng.standard_normal(4).astype(np.float32)
        ours = transpose_conv_bias(x, w, b, (2, 2), same_padding=True)
        tf_out = tf.nn.conv2d_transpose(x, w.transpose(1, 2, 0, 3), (2, 2 * h, 2 * h, 4), 2, "SAME") + b
        np.testing.assert_allclose(ours, tf_out.numpy(), atol=1e-4)


def _tiny_u2net_like_onnx(path):
    """A 1x1 convolution [1, 3, H, W] -> [1, 1, H, W] (rembg's u2net_custom input and output layout): the mask
    is bright where the red channel is."""
    import onnx
    from onnx import helper, numpy_helper

    w = numpy_helper.from_array(np.array([1.0, 0.0, 0.0], np.float32).reshape(1, 3, 1, 1), "w")
    graph = helper.make_graph([helper.make_node("Conv", ["x", "w"], ["y"])], "tiny",
                              [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 3, None, None])],
                              [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 1, None, None])],
                              [w])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
    return path


def test_custom_onnx_runs_through_rembg_from_any_folder(tmp_path, monkeypatch):
    from zoo.data.remove_background import segment
    from zoo.segmentation import make_session

    monkeypatch.delenv("U2NET_HOME", raising=False)
    os.makedirs(tmp_path / "elsewhere")  # not under rembg's models folder, which rembg alone would refuse
    path = _tiny_u2net_like_onnx(str(tmp_path / "elsewhere" / "seg.onnx"))
    session = make_session(model_path=path)
    assert session.name() == "u2net_custom"
    assert "U2NET_HOME" not in os.environ  # scoped to the session's construction
    image = np.zeros((20, 30, 3), np.uint8)
    image[:, 15:, 0] = 255  # red right half
    mask = segment(image, session)
    assert mask.shape == (20, 30)
    assert mask[:, 20:].mean() > 200 and mask[:, :10].mean() < 50
    with pytest.raises(DataError, match="no such file"):
        make_session(model_path=str(tmp_path / "missing.onnx"))


def test_auto_uses_a_cached_rembg_model_else_the_shipped_one(tmp_path, monkeypatch):
    from zoo.segmentation import SHIPPED, resolve_model

    monkeypatch.setenv("REMBG_HOME", str(tmp_path / "rembg"))
    monkeypatch.delenv("U2NET_HOME", raising=False)  # it would take precedence over REMBG_HOME
    monkeypatch.setenv("HOME", str(tmp_path))  # the legacy ~/.u2net folder too
    assert resolve_model("auto") == SHIPPED
    os.makedirs(tmp_path / "rembg" / "models" / "u2net")
    open(tmp_path / "rembg" / "models" / "u2net" / "u2net.onnx", "wb").close()
    assert resolve_model("auto") == "u2net"
    assert resolve_model("auto", model_path="x.onnx") == "u2net_custom"


def test_unknown_model_is_a_clear_error():
    from zoo.segmentation import make_session

    with pytest.raises(DataError, match="unknown segmenter 'nope'"):
        make_session("nope")


def test_the_wheel_ships_the_weights_and_licence():
    """setup.cfg's package_data must match the shipped files (a multi-line value is split by lines only)."""
    import fnmatch
    import warnings

    from setuptools.config.setupcfg import read_configuration

    from tests.conftest import ROOT

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        patterns = read_configuration(os.path.join(ROOT, "setup.cfg"))["options"]["package_data"]["zoo"]
    for name in ("selfie_segmentation.onnx", "LICENCE", "NOTICE.md"):
        assert any(fnmatch.fnmatch(f"segmentation/weights/{name}", p) for p in patterns), (name, patterns)
