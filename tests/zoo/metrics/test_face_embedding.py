"""The face-embedding feature space (dlib's descriptor): same face at two sizes close, different people far, and a
real set close to another real set but far from damaged faces."""

import os

import numpy as np
import pytest

from tests.conftest import UTKFACE_REAL, needs_real_utkface
from zoo.metrics.face_embedding import FaceEmbeddingExtractor
from zoo.metrics.features import make_extractor


def _faces(count, start=0, step=997):
    from PIL import Image

    names = sorted(n for n in os.listdir(UTKFACE_REAL) if n.endswith(".jpg"))[start::step][:count]
    return np.stack([np.asarray(Image.open(os.path.join(UTKFACE_REAL, n)).convert("RGB")) for n in names]), names


@needs_real_utkface()
def test_same_face_at_64_px_stays_close_and_different_people_are_far():
    from PIL import Image

    ext = make_extractor("face_embedding")
    assert isinstance(ext, FaceEmbeddingExtractor) and ext.name == "face_embedding"
    faces, _ = _faces(8)
    small = np.stack([np.asarray(Image.fromarray(f).resize((64, 64), Image.BILINEAR)) for f in faces])
    big, low = ext(faces), ext(small)
    assert big.shape == (8, 128) and big.dtype == np.float32
    same = np.linalg.norm(big - low, axis=1)
    different = [np.linalg.norm(big[i] - big[j]) for i in range(8) for j in range(i + 1, 8)]
    assert same.max() < 0.35 and np.mean(different) > 0.6, (same, np.mean(different))
    grey = ext(small.mean(axis=-1, keepdims=True).astype(np.uint8))  # a grey face is repeated to RGB
    assert grey.shape == (8, 128)


@needs_real_utkface()
def test_two_real_sets_are_closer_than_real_and_scrambled_faces():
    from zoo.metrics.fid import frechet_distance

    ext = make_extractor("face_embedding")
    a, _ = _faces(60, start=0, step=97)
    b, _ = _faces(60, start=50, step=97)
    # the same pictures with their 4 x 4 tiles shuffled: colours and textures kept, faces gone
    order = np.random.default_rng(0).permutation(16)
    tiles = a.reshape(60, 4, 50, 4, 50, 3).transpose(0, 1, 3, 2, 4, 5).reshape(60, 16, 50, 50, 3)[:, order]
    scrambled = tiles.reshape(60, 4, 4, 50, 50, 3).transpose(0, 1, 3, 2, 4, 5).reshape(60, 200, 200, 3)
    fa, fb, fscrambled = ext(a), ext(b), ext(np.ascontiguousarray(scrambled))

    def fd(x, y):
        return frechet_distance(x.mean(0), np.cov(x, rowvar=False), y.mean(0), np.cov(y, rowvar=False))

    assert fd(fa, fb) < 0.5 * fd(fb, fscrambled), (fd(fa, fb), fd(fb, fscrambled))


def test_bad_input_is_a_sentence():
    ext = make_extractor("face_embedding")
    with pytest.raises(ValueError, match="uint8"):
        ext(np.zeros((1, 16, 16, 3), np.float32))
    with pytest.raises(ValueError, match=r"\[B, H, W, 1 or 3\]"):
        ext(np.zeros((16, 16, 3), np.uint8))
    assert ext.protocol["extractor"] == "face_embedding" and len(ext.protocol["extractor_fingerprint"]) == 64


def test_a_dataset_is_accepted_as_a_fake_set_for_the_floor_and_a_typo_is_not(utkface_dir, capsys):
    from zoo import evaluate

    code = evaluate.main(["--real", f"utkface:{utkface_dir}", "--split", "test", "--fake", f"utkface:{utkface_dir}",
                          "--extractor", "face_embedding", "--metrics", "fid", "--n", "4", "--no-cache",
                          "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0 and "FD[face_embedding]" in out
    assert evaluate.main(["--real", f"utkface:{utkface_dir}", "--fake", "utkfase:/nowhere"]) == 2
    assert "unknown preset" in capsys.readouterr().err
