"""MediaPipe's selfie segmentation network as a rembg-compatible session, with its weights shipped in facezoo.

``weights/selfie_segmentation.onnx`` is Google's ``selfie_segmentation.tflite`` (MediaPipe 0.10.21, Apache-2.0,
licence in ``weights/LICENCE``) converted by ``zoo.segmentation.convert``; nothing is downloaded at run time.
The network takes RGB [1, 256, 256, 3] in [0, 1] (the photo stretched, as MediaPipe's graph does) and returns
the person's probability [1, 256, 256, 1], resized back to the photo.

It does not subclass rembg's ``BaseSession``: importing anything from rembg runs ``rembg/__init__``, which
imports pymatting, whose numba functions compile for about 2 minutes on the first import after an install. The
shipped segmenter needs none of that; rembg's ``remove`` only calls ``predict``, so it still accepts this session.
"""

from __future__ import annotations

import os

import numpy as np
from PIL import Image

WEIGHTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "weights", "selfie_segmentation.onnx")
INPUT_SIZE = 256


class SelfieSegmentationSession:
    """The shipped selfie segmenter with rembg's session interface (``predict``, ``inner_session``), usable as
    ``rembg.remove(img, session=SelfieSegmentationSession())``."""

    def __init__(self, model_name: str = "mediapipe-selfie", sess_opts=None, providers=None):
        import onnxruntime as ort

        self.model_name = model_name
        self.inner_session = ort.InferenceSession(WEIGHTS, sess_options=sess_opts or ort.SessionOptions(),
                                                  providers=providers or ["CPUExecutionProvider"])

    def predict(self, img, *args, **kwargs) -> list:
        """img: PIL image -> [mask], one PIL ``L`` image of the photo's size (255 = person)."""
        x = np.asarray(img.convert("RGB").resize((INPUT_SIZE, INPUT_SIZE), Image.Resampling.BILINEAR), np.float32)
        prob = self.inner_session.run(None, {self.inner_session.get_inputs()[0].name: x[None] / 255.0})[0]
        mask = Image.fromarray(np.round(np.clip(prob[0, :, :, 0], 0, 1) * 255).astype(np.uint8), mode="L")
        return [mask.resize(img.size, Image.Resampling.BILINEAR)]

    @classmethod
    def download_models(cls, *args, **kwargs):
        """The shipped file (never a download)."""
        return WEIGHTS

    @classmethod
    def name(cls, *args, **kwargs):
        return "mediapipe-selfie"
