"""zoo.data.align: the similarity fit, the warp back to a template's geometry, the shipped UTKFace template, the
safe reading of the detector's weights and the CLI's answers to bad input."""

from __future__ import annotations

import os
import shlex

import numpy as np
import pytest
from PIL import Image

from tests.conftest import UTKFACE_REAL, needs_real_utkface
from zoo.data import align
from zoo.data.errors import DataError

# A plausible template (eyes, nose, mouth corners as fractions of the side) for the geometry tests.
TEMPLATE = {"landmarks": [[0.36, 0.42], [0.64, 0.42], [0.5, 0.56], [0.39, 0.7], [0.61, 0.7]]}


def rotation(degrees: float) -> np.ndarray:
    t = np.deg2rad(degrees)
    return np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])


def test_the_similarity_fit_recovers_a_known_transform_exactly():
    rng = np.random.default_rng(0)
    src = rng.normal(size=(5, 2)) * 30
    linear, shift = 1.7 * rotation(-23.0), np.array([12.5, -4.0])
    m = align.similarity_transform(src, src @ linear.T + shift)
    np.testing.assert_allclose(m[:, :2], linear, atol=1e-12)
    np.testing.assert_allclose(m[:, 2], shift, atol=1e-10)
    # With noise it is the least-squares fit: no other similarity (here: the true one) has a smaller error.
    noisy = src @ linear.T + shift + rng.normal(size=src.shape)
    fit = align.similarity_transform(src, noisy)
    err = lambda mm: ((align.apply_transform(mm, src) - noisy) ** 2).sum()  # noqa: E731
    assert err(fit) < err(np.concatenate([linear, shift[:, None]], 1))


def test_the_fit_never_reflects():
    src = np.array([[0.0, 0.0], [3.0, 0.5], [1.0, 2.0], [2.5, 3.0], [0.5, 1.5]])
    mirrored = src * [-1, 1]  # a reflection fits exactly; a similarity must not be one
    m = align.similarity_transform(src, mirrored)
    assert np.linalg.det(m[:, :2]) > 0 and not np.allclose(align.apply_transform(m, src), mirrored, atol=0.1)


def smooth_image(side: int, seed: int) -> np.ndarray:
    """A smooth colour image (bilinear warps keep it almost unchanged), so the comparison measures geometry."""
    rng = np.random.default_rng(seed)
    small = Image.fromarray(rng.integers(0, 255, (6, 6, 3), dtype=np.uint8))
    return np.asarray(small.resize((side, side), Image.Resampling.BICUBIC))


def psnr(a, b) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 10 * np.log10(255.0 ** 2 / mse)


@pytest.mark.parametrize("scale", [0.8, 2.6])  # 2.6: the face is shrunk with antialiasing before the warp
def test_aligning_a_chip_placed_in_a_photo_gives_back_the_chip(scale):
    side = 64
    chip = smooth_image(side, seed=1)
    forward = np.concatenate([scale * rotation(12.0), [[150.0], [97.0]]], axis=1)  # chip -> photo coordinates
    inverse = np.linalg.inv(np.vstack([forward, [0, 0, 1]]))[:2]
    photo = np.asarray(Image.fromarray(chip).transform((400, 300), Image.Transform.AFFINE, tuple(inverse.ravel()),
                                                       Image.Resampling.BICUBIC, fillcolor=(0, 0, 0)))
    landmarks = align.apply_transform(forward, np.array(TEMPLATE["landmarks"]) * side)
    out = align.align_face(photo, landmarks, side, TEMPLATE)
    inner = (slice(4, -4), slice(4, -4))  # the borders blend with the photo's black around the chip
    assert out.shape == (side, side, 3) and out.dtype == np.uint8
    assert psnr(out[inner], chip[inner]) > 40  # a half-pixel convention error gives ~35 dB
    # A landmark set one chip pixel off gives a measurably worse match: the test sees geometry errors.
    off = align.align_face(photo, landmarks + scale * np.array([1.0, 0.0]), side, TEMPLATE)
    assert psnr(off[inner], chip[inner]) < psnr(out[inner], chip[inner]) - 3


def test_the_shipped_utkface_template_matches_its_record():
    from zoo.data.face_detector import DETECTOR, LANDMARKS

    t = align.load_template("utkface")
    assert t["detected"] <= t["sampled"] and t["detection_rate"] == round(t["detected"] / t["sampled"], 4)
    assert t["landmark_names"] == list(LANDMARKS) and t["detector"] == DETECTOR and t["image_sides"] == ["200x200"]
    argv = shlex.split(t["command"])
    assert argv[:4] == ["python", "-m", "zoo.data.align", "template"]
    recorded = dict(zip(argv[4::2], argv[5::2]))
    assert int(recorded["--count"]) == t["sampled"] and int(recorded["--seed"]) == t["seed"]
    p = np.array(t["landmarks"])
    eye_l, eye_r, nose, mouth_l, mouth_r = p
    assert eye_l[0] < nose[0] < eye_r[0] and mouth_l[0] < mouth_r[0]
    assert max(eye_l[1], eye_r[1]) < nose[1] < min(mouth_l[1], mouth_r[1])
    assert np.all(np.array(t["landmarks_std"]) < 0.1)  # chips are aligned: the points barely move between them


def test_a_weight_file_that_names_code_is_refused(tmp_path):
    import joblib

    from zoo.data.face_detector import read_weights

    path = str(tmp_path / "pnet.lz4")
    joblib.dump([np.zeros(3), os.system], path, compress="lz4")
    with pytest.raises(DataError, match="may hold only numpy arrays"):
        read_weights(path)
    joblib.dump([np.arange(4.0)], path, compress="lz4")
    np.testing.assert_array_equal(read_weights(path)[0], np.arange(4.0))


@pytest.mark.parametrize("case", ["missing", "empty", "dst_is_file", "same", "count"])
def test_bad_input_exits_2_with_a_sentence(case, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    (tmp_path / "file.txt").write_text("x")
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(photos / "a.png")
    argv, expected = {
        "missing": ([str(tmp_path / "nope"), str(tmp_path / "out")], "nope does not exist"),
        "empty": ([str(tmp_path / "empty"), str(tmp_path / "out")], "no image files"),
        "dst_is_file": ([str(photos), str(tmp_path / "file.txt")], "is a file, expected a folder"),
        "same": ([str(photos), str(photos)], "DST must differ from SRC"),
        "count": (["template", "--data-dir", str(photos), "--count", "0"], "expected a value at least 1"),
    }[case]
    try:
        code = align.main(argv)
    except SystemExit as e:  # argparse's own checks exit from parse_args
        code = e.code
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("python -m zoo.data.align") and ": error: " in err and expected in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.real_data
@needs_real_utkface()
def test_the_cli_aligns_skips_and_resumes(tmp_path, capsys):
    names = sorted(f for f in os.listdir(UTKFACE_REAL) if f.endswith(".chip.jpg"))[:2]
    src = tmp_path / "src"
    src.mkdir()
    for n in names:
        chip = Image.open(os.path.join(UTKFACE_REAL, n)).convert("RGB")
        photo = Image.new("RGB", (420, 360), (90, 110, 70))
        photo.paste(chip.rotate(10, Image.Resampling.BICUBIC), (150, 90))
        photo.save(src / f"{n}.png")
    Image.fromarray(np.full((200, 200, 3), 128, np.uint8)).save(src / "grey.png")
    (src / "broken.jpg").write_bytes(b"\xff\xd8\xff not a jpeg")
    dst = str(tmp_path / "out")
    assert align.main([str(src), dst]) == 0
    out = capsys.readouterr().out
    assert "2 photos aligned (2 faces), 0 already done, skipped: 1 without a face, 1 unreadable, of 4" in out
    import csv

    rows = list(csv.DictReader(open(os.path.join(dst, "landmarks.csv"))))
    assert sorted(r["status"] for r in rows) == ["aligned", "aligned", "no face", "unreadable"]
    for row in (r for r in rows if r["status"] == "aligned"):
        crop = np.asarray(Image.open(os.path.join(dst, row["output"])))
        chip = np.asarray(Image.open(os.path.join(UTKFACE_REAL, row["file"][:-4])).convert("RGB"))
        assert crop.shape == (200, 200, 3)
        # The aligned crop is framed as the chip was: the two correlate (0.77 and 0.84 here; the photo's central
        # square resized correlates 0.13 and 0.37 with the chip).
        assert np.corrcoef(crop[40:160, 40:160].ravel(), chip[40:160, 40:160].ravel())[0, 1] > 0.6
    assert align.main([str(src), dst]) == 0
    assert "0 photos aligned (0 faces), 4 already done" in capsys.readouterr().out
