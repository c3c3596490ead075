"""Identity distance (dlib's descriptor): zero for a face and itself, small for the same face at 64 px, large for
two people, a 50/50 blend with another person further than a brightened copy; the paired-folder CLI counts its
skips and refuses an empty pairing; no dlib is a sentence, never a crash."""

import json
import os
import sys

import numpy as np
import pytest

from tests.conftest import UTKFACE_REAL, needs_real_utkface
from zoo.metrics import identity


def _faces(count, step=997):
    from PIL import Image

    names = sorted(n for n in os.listdir(UTKFACE_REAL) if n.endswith(".jpg"))[::step][:count]
    return np.stack([np.asarray(Image.open(os.path.join(UTKFACE_REAL, n)).convert("RGB")) for n in names]), names


def _resize(faces, size):
    from PIL import Image

    return np.stack([np.asarray(Image.fromarray(f).resize((size, size), Image.BILINEAR)) for f in faces])


@needs_real_utkface()
def test_a_face_and_itself_the_same_face_small_and_two_people():
    faces, _ = _faces(8)
    assert np.all(identity.identity_distances(faces, faces) == 0)
    small = identity.identity_distances(faces, _resize(faces, 64))  # batches of two sizes, paired
    assert small.shape == (8,) and small.max() < identity.SAME_PERSON, small
    others = identity.identity_distances(faces, np.roll(faces, 1, axis=0))  # each face against another person
    assert np.mean(others > identity.SAME_PERSON) >= 0.75, others


@needs_real_utkface()
def test_a_blend_with_another_person_moves_further_than_a_brighter_copy():
    faces, _ = _faces(6, step=1499)
    blend = ((faces.astype(np.float32) + np.roll(faces, 1, axis=0)) / 2).round().astype(np.uint8)
    brighter = np.clip(faces.astype(np.float32) * 1.1 + 5, 0, 255).astype(np.uint8)
    d_blend, d_bright = identity.identity_distances(faces, blend), identity.identity_distances(faces, brighter)
    assert np.all(d_blend > d_bright), (d_blend, d_bright)
    assert identity.summary(d_bright)["share_same_person"] == 1.0


def test_summary_by_hand_and_bad_pairs_are_refused():
    s = identity.summary([0.1, 0.5, 0.7, 0.9])
    assert s == pytest.approx({"median": 0.6, "mean": 0.55, "share_same_person": 0.5, "n": 4, "threshold": 0.6})
    assert identity.summary([])["n"] == 0 and identity.summary([])["median"] is None
    a = np.zeros((2, 16, 16, 3), np.uint8)
    with pytest.raises(ValueError, match="same number of faces, got 2 and 3"):
        identity.identity_distances(a, np.zeros((3, 16, 16, 3), np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        identity.identity_distances(a, a.astype(np.float32))


@needs_real_utkface()
def test_paired_folders_count_a_corrupt_file_and_a_lonely_one_as_skips(tmp_path, capsys):
    from PIL import Image

    faces, _ = _faces(3)
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    for i, f in enumerate(faces):
        Image.fromarray(f).save(a / f"{i}.png")
        Image.fromarray(_resize(f[None], 64)[0]).save(b / f"{i}.png")  # the pair: the same face at 64 px
    (b / "2.png").write_bytes(b"not an image")
    Image.fromarray(faces[0]).save(a / "only_here.png")
    out = tmp_path / "r.json"
    assert identity.main([str(a), str(b), "--out", str(out), "--no-progress"]) == 0
    r = json.load(open(out))
    assert [p["name"] for p in r["pairs"]] == ["0.png", "1.png"] and all(p["same_person"] for p in r["pairs"])
    assert r["skipped"] == {"unpaired": ["only_here.png"], "unreadable": ["2.png"]} and r["summary"]["n"] == 2
    assert "skipped 1 unpaired and 1 unreadable" in capsys.readouterr().out
    assert identity.main([str(a), str(b), "--out", str(tmp_path / "r.csv"), "--no-progress"]) == 0
    assert open(tmp_path / "r.csv").read().splitlines()[0] == "name,distance,same_person"


def test_no_pair_and_no_folder_exit_2_with_a_sentence(tmp_path, capsys):
    from PIL import Image

    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(a / "x.png")
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(b / "y.png")
    assert identity.main([str(a), str(b), "--no-progress"]) == 2
    assert "no pair of readable images with the same file name" in capsys.readouterr().err
    assert identity.main([str(a), str(tmp_path / "nowhere"), "--no-progress"]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_without_dlib_every_entry_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    from PIL import Image

    from zoo.latent.identity_report import edit_identity, photo_identity
    from zoo.metrics.features import ExtractorError

    monkeypatch.setitem(sys.modules, "dlib", None)  # import dlib -> ImportError
    identity.extractor.cache_clear()
    try:
        faces = np.zeros((1, 16, 16, 3), np.uint8)
        with pytest.raises(ExtractorError, match="pip install"):
            identity.identity_distances(faces, faces)
        assert "pip install" in identity.unavailable()
        assert "pip install" in photo_identity(np.zeros((1, 8, 8, 3)), np.zeros((1, 8, 8, 3)))["unavailable"]
        report, distances = edit_identity(np.zeros((1, 8, 8, 3)), np.zeros((2, 8, 8, 3)), [0.0, 1.0])
        assert distances is None and "identity not measured" in report["unavailable"]
        for d in ("a", "b"):
            (tmp_path / d).mkdir()
            Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / d / "x.png")
        assert identity.main([str(tmp_path / "a"), str(tmp_path / "b"), "--no-progress"]) == 2
        assert "pip install" in capsys.readouterr().err
    finally:
        identity.extractor.cache_clear()  # the next test loads the real dlib again


@needs_real_utkface()
def test_evaluate_identity_reconstructs_real_test_faces_through_the_vae(tmp_path, capsys):
    from zoo import evaluate

    out = tmp_path / "r.json"
    real = ["--real", f"utkface:{UTKFACE_REAL}", "--split", "test"]
    assert evaluate.main([*real, "--fake", "vae_utkface_64", "--encoder", "vae_encoder_utkface_64", "--metrics",
                          "identity", "--n", "4", "--no-progress", "--out", str(out)]) == 0
    r = json.load(open(out))["results"][0]
    assert r["summary"]["n"] == 4 and len(r["distances"]) == 4 and r["resolution"] == 64
    assert all(0 < d < 2 for d in r["distances"])  # a blurred reconstruction is never the identical image
    assert "| vae_utkface_64 (encoder vae_encoder_utkface_64) |" in open(tmp_path / "r.md").read()
    capsys.readouterr()
    for argv, message in ((["--fake", "vae_gan_utkface_64", "--encoder", "vae_encoder_utkface_64"], "belongs to"),
                          (["--fake", "vae_utkface_64"], "needs --real"),
                          (["--fake", "vae_utkface_64", "--encoder", "vae_encoder_utkface_64", "--metrics",
                            "identity,fid"], "run it alone")):
        metrics = [] if "--metrics" in argv else ["--metrics", "identity"]
        assert evaluate.main([*(real if "--encoder" in argv else []), *argv, *metrics, "--n", "2",
                              "--no-progress"]) == 2
        assert message in capsys.readouterr().err
