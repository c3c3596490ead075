"""A face-recognition embedding as a feature space for the distribution metrics: dlib's 128-d ResNet descriptor
(``dlib_face_recognition_resnet_model_v1``, trained for identity on about 3 million faces, none of them UTKFace's)
with its 5-point landmark model, both from the ``face-recognition-models`` package (CC0 for these two files) and run
by the ``dlib-bin`` wheel. It was trained for who a face is, not on the zoo's gender labels, so it is a second,
independent space beside the zoo's classifiers.

Each uint8 face [H, W, C] (grey faces repeated to RGB) is resized to 150 px (bilinear, antialiased), its 5 landmarks
found inside the whole image (the zoo's faces are already cropped and aligned chips), aligned to dlib's 150 px chip
(padding 0.25) and embedded. On UTKFace the same face at 200 px and at 64 px is 0.13 apart, at 32 px 0.31, and two
different people 0.84 on average (12 faces; dlib calls a pair the same person below 0.6).
"""

from __future__ import annotations

import hashlib

import numpy as np

from zoo.metrics.features import ExtractorError, FeatureExtractor

NAME = "face_embedding"
CHIP = 150
HOW_TO_GET = ("the face-embedding space needs dlib and its models: pip install 'facezoo[embedding]' (dlib-bin and "
              "face-recognition-models, both in requirements.txt; 126 MB of model files, so not in the core install)")


def _models():
    try:
        import dlib
        import face_recognition_models as frm
    except ImportError as e:
        raise ExtractorError(f"{HOW_TO_GET} ({e})") from e
    landmarks, descriptor = frm.pose_predictor_five_point_model_location(), frm.face_recognition_model_location()
    return dlib, dlib.shape_predictor(landmarks), dlib.face_recognition_model_v1(descriptor), descriptor


class FaceEmbeddingExtractor(FeatureExtractor):
    """uint8 images [B, H, W, C] -> dlib face descriptors [B, 128] float32 (``extractor(images)``)."""

    def __init__(self):
        self._dlib, self._landmarks, self._descriptor, path = _models()
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        super().__init__(model=None, name=NAME, image_size=CHIP, channels=3, input_range=(0.0, 255.0),
                         fingerprint=digest, layer="dlib 128-d descriptor")

    def _chip(self, image: np.ndarray) -> np.ndarray:
        from PIL import Image

        if image.shape[-1] == 1:
            image = np.repeat(image, 3, axis=-1)
        if image.shape[0] != CHIP or image.shape[1] != CHIP:
            image = np.asarray(Image.fromarray(image).resize((CHIP, CHIP), Image.BILINEAR, reducing_gap=None))
        image = np.ascontiguousarray(image)
        shape = self._landmarks(image, self._dlib.rectangle(0, 0, CHIP - 1, CHIP - 1))
        return self._dlib.get_face_chip(image, shape, size=CHIP, padding=0.25)

    def __call__(self, images):
        images = np.asarray(images)
        if images.dtype != np.uint8:
            raise ValueError(f"extractor {self.name}: expected uint8 images (quantise generated images first with "
                             f"zoo.utils.images.to_uint8), got {images.dtype}")
        if images.ndim != 4 or images.shape[-1] not in (1, 3):
            raise ValueError(f"extractor {self.name}: expected images [B, H, W, 1 or 3], got shape {images.shape}")
        chips = [self._chip(image) for image in images]
        out = self._descriptor.compute_face_descriptor(chips) if chips else []
        return np.asarray([np.asarray(d) for d in out], np.float32).reshape(len(chips), 128)

    @property
    def protocol(self) -> dict:
        return {"extractor": self.name, "layer": self.layer, "extractor_fingerprint": self.fingerprint,
                "input_size": CHIP, "input_channels": 3,
                "resize": "PIL bilinear to 150 px, 5 dlib landmarks in the whole image, dlib.get_face_chip(150, "
                          "padding 0.25)", "quantisation": "uint8 (generated images rounded as a PNG writer would)"}
