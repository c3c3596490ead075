"""Face detection with five landmarks: MTCNN (Zhang et al. 2016) from the ``mtcnn`` package (MIT licence).

Why this detector: it is TensorFlow-native (no second runtime beside the project's), its weights ship inside its
PyPI wheel (so it works offline), and it gives the five points a similarity alignment needs. On this project's
2-core machine it takes about 0.3 s per 200x200 UTKFace chip (``python -m bench.align_photos`` measures it).

The wheel stores its weights as joblib pickles. They are read here with an unpickler that accepts only numpy arrays
(``SAFE_GLOBALS``), from the package's own folder, never through ``joblib.load`` (which would run any code a
pickle names, and which looks for the weight file in the current folder first).
"""

from __future__ import annotations

import os

import numpy as np

from export.face_align import Face, faces_from_rows  # noqa: F401 - Face: the type detect() returns
from zoo.data.errors import DataError

DETECTOR = "mtcnn 1.0.0 (MTCNN, Zhang et al. 2016)"
LANDMARKS = ("eye_left", "eye_right", "nose", "mouth_left", "mouth_right")  # left/right as seen in the image
SAFE_GLOBALS = {("numpy", "ndarray"), ("numpy", "dtype"), ("joblib.numpy_pickle", "NumpyArrayWrapper")}
HOW_TO_INSTALL = "face detection needs the mtcnn package: pip install mtcnn==1.0.0 (or pip install -e .)"


def read_weights(path: str) -> list:
    """The list of numpy arrays in one of mtcnn's joblib weight files; a DataError when the file names anything
    but numpy arrays (it is refused before any such object is built)."""
    import pickle

    from joblib import numpy_pickle

    class SafeUnpickler(numpy_pickle.NumpyUnpickler):
        def find_class(self, module, name):
            if (module, name) not in SAFE_GLOBALS:
                raise DataError(f"{path} names {module}.{name}; a weight file may hold only numpy arrays")
            return super().find_class(module, name)

    try:
        with open(path, "rb") as f, numpy_pickle._validate_fileobject_and_memmap(f, path, None) as (fobj, _):
            weights = SafeUnpickler(path, fobj, ensure_native_byte_order=True).load()
    except (pickle.UnpicklingError, EOFError, ValueError) as e:
        raise DataError(f"{path} is not a readable mtcnn weight file: {e}") from e
    except AttributeError as e:  # the joblib reader used above is not public API
        raise DataError(f"cannot read {path} safely with this joblib version ({e}); the reader was written for "
                        f"joblib 1.4-1.6") from e
    if not isinstance(weights, list) or not all(isinstance(w, np.ndarray) for w in weights):
        raise DataError(f"{path} does not hold a list of numpy arrays")
    return weights


def _stages():
    """MTCNN's three stages (P-, R- and O-Net) with their weights read by ``read_weights``."""
    try:
        import mtcnn
        from mtcnn.network.onet import ONet
        from mtcnn.network.pnet import PNet
        from mtcnn.network.rnet import RNet
        from mtcnn.stages import StageONet, StagePNet, StageRNet
        from mtcnn.stages.base import StageBase
    except ImportError as e:
        raise DataError(f"{HOW_TO_INSTALL} ({e})") from e
    folder = os.path.join(os.path.dirname(mtcnn.__file__), "assets", "weights")
    stages = []
    for stage_id, (cls, net, name) in enumerate(((StagePNet, PNet, "pnet"), (StageRNet, RNet, "rnet"),
                                                  (StageONet, ONet, "onet")), 1):
        model = net()
        model.build()
        model.set_weights(read_weights(os.path.join(folder, f"{name}.lz4")))
        stage = cls.__new__(cls)  # the stage's own __init__ would load the weights with joblib.load
        StageBase.__init__(stage, stage_name=f"Stage {name.upper()}", stage_id=stage_id, model=model)
        stages.append(stage)
    return stages


class FaceDetector:
    """MTCNN faces and landmarks of RGB photos. Loading takes ~10 s (TensorFlow start and three small nets)."""

    def __init__(self, min_face_size: int = 20):
        from mtcnn import MTCNN

        self.min_face_size = int(min_face_size)
        self._mtcnn = MTCNN(stages=_stages())

    def detect(self, image: np.ndarray) -> list[Face]:
        """Faces in ``image`` (uint8 [H, W, 3] RGB), largest first; an empty list when there is none."""
        image = np.asarray(image)
        if image.ndim != 3 or image.shape[2] != 3:
            raise DataError(f"face detection takes an RGB image [H, W, 3], got shape {image.shape}")
        rows = self._mtcnn.detect_faces(image.astype(np.float32), output_type="numpy", box_format="xyxy",
                                        min_face_size=self.min_face_size)
        return faces_from_rows(rows)
