"""remove_background: the layout with_background reads, resuming, corrupt inputs, unwritable outputs."""

import json
import os

import numpy as np
import pytest
from PIL import Image

from zoo.data.remove_background import main, output_paths, remove_background


@pytest.fixture(autouse=True)
def _no_cached_rembg_models(tmp_path, monkeypatch):
    """``--model auto`` must resolve to the shipped segmenter whatever this machine has cached."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("REMBG_HOME", str(tmp_path / "xdg" / "rembg"))
    monkeypatch.delenv("U2NET_HOME", raising=False)


def _faces_folder(root, count=4, size=24):
    """``count`` synthetic faces as PNGs (lossless, so grey pixels can be checked exactly), one in a subfolder."""
    from zoo.data.synthetic import render_faces

    faces = render_faces(0, count, size, seed=5)
    rels = [os.path.join("sub", "f0.png")] + [f"f{i}.png" for i in range(1, count)]
    for rel, im in zip(rels, faces.images):
        os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
        Image.fromarray(im).save(os.path.join(root, rel))
    return rels


def test_writes_masks_and_copies_that_with_background_reads(tmp_path):
    import tensorflow as tf

    from zoo.data.backgrounds import with_background
    from zoo.data.source import ImageSource

    src, dst = str(tmp_path / "faces"), str(tmp_path / "faces_rembg")
    rels = _faces_folder(src)
    m = remove_background(src, dst, workers=2, progress=False)
    assert m["counts"] == {"images": 4, "already_done": 0, "written": 4, "corrupt": 0}
    assert m["model"] == "mediapipe-selfie" and m["runs"][-1]["complete"]
    for rel in rels:
        paths = output_paths(rel, dst)
        mask = np.asarray(Image.open(paths["mask"]))
        image = np.asarray(Image.open(os.path.join(src, rel)))
        grey = np.asarray(Image.open(paths["grey"]))
        assert mask.ndim == 2 and mask.shape == image.shape[:2]
        np.testing.assert_array_equal(grey[mask == 0], 128)
        np.testing.assert_array_equal(grey[mask == 255], image[mask == 255])
        assert np.asarray(Image.open(paths["blur"])).shape == image.shape
    # The default mask folder of the source is <root>_rembg; the finished copies are read, labels kept.
    source = ImageSource(name="faces", paths=[os.path.join(src, r) for r in rels], labels={"age": np.arange(4)},
                         info={"root": src})
    grey = with_background(source, "grey")
    assert grey.paths == [output_paths(r, dst)["grey"] for r in rels] and list(grey.labels["age"]) == [0, 1, 2, 3]
    # Without the manifest the masks are applied on the fly: same pixels.
    os.remove(os.path.join(dst, "manifest.json"))
    streamed = [x["image"].numpy() for x in with_background(source, "grey").dataset_fn()]
    for img, rel in zip(streamed, rels):
        np.testing.assert_array_equal(img, np.asarray(Image.open(output_paths(rel, dst)["grey"])))


def test_a_killed_run_resumes_where_it_stopped(tmp_path):
    """Simulates a kill: one image lost its mask (written last) and a temporary file was left behind."""
    src, dst = str(tmp_path / "faces"), str(tmp_path / "out")
    rels = _faces_folder(src)
    remove_background(src, dst, progress=False)
    lost = output_paths(rels[2], dst)
    os.remove(lost["mask"])
    stale = os.path.join(os.path.dirname(lost["grey"]), ".tmp-abc123.png")
    open(stale, "wb").write(b"half")
    kept = output_paths(rels[0], dst)["mask"]
    before = os.stat(kept).st_mtime_ns
    m = remove_background(src, dst, progress=False)
    assert m["counts"] == {"images": 4, "already_done": 3, "written": 1, "corrupt": 0}
    assert os.path.isfile(lost["mask"]) and not os.path.exists(stale)
    assert os.stat(kept).st_mtime_ns == before  # finished images are not redone
    assert len(m["runs"]) == 2 and m["runs"][-1]["stale_temporaries_removed"] == 1
    leftovers = [f for _, _, fs in os.walk(dst) for f in fs if f.startswith(".tmp-")]
    assert leftovers == []


def test_corrupt_images_are_skipped_and_counted(tmp_path):
    src, dst = str(tmp_path / "faces"), str(tmp_path / "out")
    _faces_folder(src, count=2)
    good = open(os.path.join(src, "f1.png"), "rb").read()
    open(os.path.join(src, "truncated.png"), "wb").write(good[: len(good) // 2])
    open(os.path.join(src, "text.jpg"), "w").write("not an image")
    m = remove_background(src, dst, variants=("grey",), progress=False)
    assert m["counts"] == {"images": 4, "already_done": 0, "written": 2, "corrupt": 2}
    assert m["corrupt"] == ["text.jpg", "truncated.png"]
    assert not os.path.exists(os.path.join(dst, "text.png")) and not os.path.exists(os.path.join(dst, "blur"))


def test_cli_unwritable_output_exits_2_with_a_clear_message(tmp_path, capsys):
    src = str(tmp_path / "faces")
    _faces_folder(src, count=1)
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    assert main([src, str(blocker / "out")]) == 2  # a folder cannot be made under a file (root ignores chmod)
    err = capsys.readouterr().err
    assert "cannot write to the output folder" in err and str(blocker / "out") in err
    assert main([str(tmp_path / "nowhere"), str(tmp_path / "o")]) == 2
    assert "no folder" in capsys.readouterr().err


def test_source_folder_named_like_a_copy_is_refused(tmp_path):
    from zoo.data.errors import DataError

    src = str(tmp_path / "faces")
    _faces_folder(src, count=1)
    os.makedirs(os.path.join(src, "grey"))
    Image.new("RGB", (8, 8)).save(os.path.join(src, "grey", "x.png"))
    with pytest.raises(DataError, match="collide"):
        remove_background(src, str(tmp_path / "out"), progress=False)


def test_a_write_failure_mid_run_exits_2_naming_the_file(tmp_path, capsys):
    src, dst = str(tmp_path / "faces"), tmp_path / "out"
    _faces_folder(src, count=2)
    dst.mkdir()
    (dst / "blur").write_text("a file where the blur folder goes")
    assert main([src, str(dst)]) == 2
    err = capsys.readouterr().err
    assert "cannot write" in err and os.path.join(str(dst), "blur") in err and "Traceback" not in err
    assert json.load(open(dst / "manifest.json"))["complete"] is False


def test_alpha_matting_goes_through_rembg(tmp_path):
    """--alpha-matting takes the alpha of rembg's matted cut-out instead of the raw mask (and says so)."""
    from zoo.data.remove_background import read_rgb, segment
    from zoo.segmentation import make_session

    from zoo.data.synthetic import render_faces

    src, dst = tmp_path / "faces", str(tmp_path / "out")
    src.mkdir()
    rels = ["f.png"]  # a face on which matting succeeds (rembg falls back to the raw mask when it fails)
    Image.fromarray(render_faces(0, 1, 32, seed=1).images[0]).save(src / rels[0])
    src = str(src)
    session = make_session("mediapipe-selfie")
    image = read_rgb(os.path.join(src, rels[0]))
    matted, plain = segment(image, session, alpha_matting=True), segment(image, session)
    assert matted.shape == plain.shape == (32, 32) and matted.dtype == np.uint8
    assert not np.array_equal(matted, plain)
    m = remove_background(src, dst, variants=(), alpha_matting=True, progress=False)
    assert m["runs"][-1]["alpha_matting"] is True
    np.testing.assert_array_equal(np.asarray(Image.open(output_paths(rels[0], dst)["mask"])), matted)


def test_without_alpha_matting_rembg_is_never_imported(tmp_path):
    """rembg's __init__ imports pymatting, whose numba functions compile for ~2 minutes on the first import after
    an install: the shipped segmenter, ``auto`` without cached rembg models and the demo's model list must not
    import it. A fresh interpreter, so that no other test's import hides it."""
    import subprocess
    import sys

    src = tmp_path / "faces"
    _faces_folder(str(src), count=2)
    code = """
import sys
import numpy as np
from zoo.data.remove_background import remove_background
from demo.app import build_demo
from demo.tabs.background import models, remove_background as demo_remove_background
m = remove_background(sys.argv[1], sys.argv[2], model="auto", progress=False)
assert m["counts"]["written"] == 2 and m["model"] == "mediapipe-selfie", m
assert models()[:2] == ["auto", "mediapipe-selfie"]
build_demo([])  # the demo's start: its Remove background tab lists the segmenters
assert demo_remove_background(np.zeros((8, 8, 3), np.uint8))["cutout"].shape == (8, 8, 4)
print(sorted(n for n in ("rembg", "pymatting", "numba") if n in sys.modules))
"""
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "xdg"), "REMBG_HOME": str(tmp_path / "xdg" / "rembg")}
    env.pop("U2NET_HOME", None)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    result = subprocess.run([sys.executable, "-c", code, str(src), str(tmp_path / "out")], cwd=root, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_a_cold_numba_cache_is_recognised(tmp_path, monkeypatch):
    """With NUMBA_CACHE_DIR set numba reads only that folder: pymatting's functions compiled elsewhere count not."""
    from zoo.segmentation.sessions import _matting_compiled

    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    assert not _matting_compiled()
    (tmp_path / "preconditioner_0a1b").mkdir()
    (tmp_path / "preconditioner_0a1b" / "ichol._ichol-6.py311.nbi").write_bytes(b"")
    assert _matting_compiled()


def test_importing_rembg_says_so_while_numba_compiles(monkeypatch, capsys):
    """Where pymatting's compiled functions are not cached, the import is announced on stderr (once)."""
    import sys

    from zoo.segmentation import sessions

    monkeypatch.delitem(sys.modules, "rembg", raising=False)
    monkeypatch.setattr(sessions, "_matting_compiled", lambda: False)
    monkeypatch.setitem(sys.modules, "rembg", None)  # the import itself fails fast: only the notice is tested
    with pytest.raises(ImportError):
        sessions.import_rembg()
    assert "numba compiles its alpha matting" in capsys.readouterr().err


@pytest.mark.parametrize("env", [{}, {"REMBG_HOME": "r"}, {"U2NET_HOME": "u"}, {"XDG_DATA_HOME": "x"},
                                 {"XDG_DATA_HOME": "x", "REMBG_HOME": "r"}])
def test_cached_model_folders_are_rembgs_own(env, tmp_path, monkeypatch):
    """is_cached reads rembg's folders without importing rembg: they must be the ones rembg itself uses."""
    from rembg.sessions.u2net import U2netSession

    from zoo.segmentation import sessions

    for name in ("REMBG_HOME", "U2NET_HOME", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    for name, folder in env.items():
        monkeypatch.setenv(name, str(tmp_path / folder))
    assert os.path.join(sessions._rembg_home(), "models", "u2net") == U2netSession.model_dir()
    assert sessions._legacy_home() == U2netSession.legacy_home()
    assert not sessions.is_cached("u2net")
    os.makedirs(U2netSession.model_dir())
    open(os.path.join(U2netSession.model_dir(), "u2net.onnx"), "wb").close()
    assert sessions.is_cached("u2net") and not sessions.is_cached("u2net_human_seg")
