"""Faces in photos without TensorFlow: MTCNN's three networks as ONNX files run by ONNX Runtime, the package's
pipeline in numpy (``export.mtcnn_steps``), and the alignment to the UTKFace template (``export.face_align``, the
same code ``zoo.data.align`` runs), so that an exported classifier reads a photo as ``python -m zoo.predict`` does.

    from export.runtime_face import OnnxFaceDetector
    detector = OnnxFaceDetector()                      # the files shipped in export/face_detector/
    for face, crop in detector.face_crops(photo):      # photo: uint8 [H, W, 3]; largest face first
        print(face.box, face.confidence)               # crop: uint8 [200, 200, 3], framed as a UTKFace chip

The networks are ``mtcnn`` 1.0.0's (MIT licence), written to ONNX by ``python -m export face-detector DIR`` with
their settings and the template in ``face_detector.json`` beside them. A photo without a face gives an empty list:
the caller says so or counts it, never falls back to a central crop unasked. Imports numpy, onnxruntime and Pillow.
"""

from __future__ import annotations

import json
import os

import numpy as np

from export import mtcnn_steps as steps
from export.face_align import Face, align_face, faces_from_rows
from export.runtime import OnnxModel

DEFAULT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "face_detector")
CARD = "face_detector.json"
NETWORKS = ("pnet", "rnet", "onet")
SETTINGS = ("min_face_size", "scale_factor", "threshold_pnet", "threshold_rnet", "threshold_onet", "nms_pnet1",
            "nms_pnet2", "nms_rnet", "nms_onet")


DetectedFace = Face  # the one face type of both detectors (export/face_align.py)


def read_card(folder: str) -> dict:
    """The detector's card in ``folder``, checked: its settings are numbers and its template has 5 points in (0, 1);
    a FileNotFoundError or ValueError naming the file and what was expected."""
    path = os.path.join(folder, CARD)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no face detector card; write the detector with "
                                f"python -m export face-detector {folder}")
    with open(path) as f:
        card = json.load(f)
    bad = [k for k in SETTINGS if not isinstance(card.get("settings", {}).get(k), (int, float))]
    if bad:
        raise ValueError(f"{path}: settings {', '.join(bad)} missing or not numbers")
    template = card.get("template", {})
    points = np.asarray(template.get("landmarks"), np.float64)
    if points.shape != (5, 2) or not np.all((points > 0) & (points < 1)) or not isinstance(template.get("side"), int):
        raise ValueError(f"{path}: expected template.landmarks as 5 [x, y] pairs inside (0, 1) and template.side "
                         f"an integer, got {template.get('landmarks')!r} and {template.get('side')!r}")
    return card


class OnnxFaceDetector:
    """MTCNN faces, landmarks and aligned crops of RGB photos with ONNX Runtime (loading takes ~0.1 s).

    ``folder`` holds pnet.onnx, rnet.onnx, onet.onnx and face_detector.json (default: the files shipped with the
    package); ``threads`` the intra-op threads of each session (None: ONNX Runtime's choice)."""

    def __init__(self, folder: str | None = None, threads: int | None = None):
        self.folder = folder or DEFAULT_DIR
        self.card = read_card(self.folder)
        self.settings = dict(self.card["settings"])
        self.template = {"landmarks": self.card["template"]["landmarks"]}
        self.side = int(self.card["template"]["side"])
        self.nets = {}
        for name in NETWORKS:
            path = os.path.join(self.folder, f"{name}.onnx")
            if not os.path.isfile(path):
                raise FileNotFoundError(f"{path}: missing; write the detector with "
                                        f"python -m export face-detector {self.folder}")
            self.nets[name] = OnnxModel(path, threads)

    def _run(self, name: str, x: np.ndarray) -> list[np.ndarray]:
        net = self.nets[name]
        out = net.run(np.ascontiguousarray(x, np.float32), batch_size=256)
        return [out[n] for n in net.output_names]

    def detect(self, image: np.ndarray) -> list[DetectedFace]:
        """Faces in ``image`` (uint8 [H, W, 3] RGB), largest first; an empty list when there is none."""
        image = np.asarray(image)
        if image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"face detection takes an RGB image [H, W, 3], got shape {list(image.shape)}")
        s = self.settings
        h, w = image.shape[:2]
        normalized = ((image.astype(np.float32) - 127.5) / 128).astype(np.float32)
        found = []
        for scale in steps.scale_pyramid(w, h, s["min_face_size"], s["scale_factor"]):
            scaled = steps.resize_area(normalized, scale)
            if min(scaled.shape[:2]) < steps.PNET_CELL:
                continue  # PNet has no output cell on a picture smaller than its window
            regression, probability = self._run("pnet", scaled[None])
            boxes = steps.pnet_boxes(regression[0], probability[0], scale, s["threshold_pnet"])
            found.append(steps.nms(boxes, s["nms_pnet1"], sort=False))
        boxes = steps.nms(np.concatenate(found) if found else np.empty((0, 6)), s["nms_pnet2"])
        if not len(boxes):
            return []
        boxes = steps.to_square(boxes)
        offsets, scores = self._run("rnet", steps.crop_and_resize(normalized, boxes[:, 1:5], 24))
        boxes = steps.refine(boxes, offsets, scores)
        boxes = steps.nms(boxes[boxes[:, 5] > s["threshold_rnet"]], s["nms_rnet"])
        if not len(boxes):
            return []
        boxes = steps.to_square(boxes)
        offsets, points, scores = self._run("onet", steps.crop_and_resize(normalized, boxes[:, 1:5], 48))
        points = steps.landmarks_in_image(points.astype(np.float64), boxes)
        boxes = np.concatenate([steps.refine(boxes, offsets, scores), points], axis=1)
        boxes = steps.nms(boxes[boxes[:, 5] > s["threshold_onet"]], s["nms_onet"], method="min")
        return faces_from_rows(steps.clip_to_image(boxes, h, w))

    def align(self, photo: np.ndarray, face: DetectedFace) -> np.ndarray:
        """``face`` of ``photo`` aligned to the template: uint8 [side, side, 3], framed as a UTKFace chip."""
        return align_face(photo, face.landmarks, self.side, self.template)

    def face_crops(self, photo: np.ndarray, all_faces: bool = False) -> list[tuple[DetectedFace, np.ndarray]]:
        """``[(face, aligned crop)]`` for the largest face of ``photo`` (every face with ``all_faces``, largest
        first); empty when there is no face."""
        faces = self.detect(photo)
        return [(f, self.align(photo, f)) for f in (faces if all_faces else faces[:1])]
