"""Corrupt, undecodable and oversized image files are found up front, counted and named; one decoding path."""

from __future__ import annotations

import io
import logging
import os
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from zoo.data import DatasetNotFoundError, load_source
from zoo.data.errors import DataError
from zoo.data.files import MAX_PIXELS, check_images, read_image


def _png(pixels: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG")
    return buf.getvalue()


def _jpeg(seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def _chunks(png: bytes):
    """(offset, type, data) of each chunk of a PNG file."""
    pos, out = 8, []
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos: pos + 8])
        out.append((pos, kind, png[pos + 8: pos + 8 + length]))
        pos += 12 + length
    return out


def _replace_idat(png: bytes, data: bytes) -> bytes:
    """The PNG with its IDAT payload replaced and a correct CRC (so only the image data is corrupt)."""
    pos, _, old = next(c for c in _chunks(png) if c[1] == b"IDAT")
    chunk = struct.pack(">I4s", len(data), b"IDAT") + data + struct.pack(">I", zlib.crc32(b"IDAT" + data))
    return png[:pos] + chunk + png[pos + 12 + len(old):]


def _huge_png(width: int, height: int) -> bytes:
    """A small file whose header declares width x height RGB pixels (decoding it would need gigabytes)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = lambda kind, data: struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def _huge_jpeg(width: int, height: int) -> bytes:
    """A real JPEG whose frame header is patched to declare width x height."""
    data = bytearray(_jpeg())
    sof = data.index(b"\xff\xc0")
    data[sof + 5: sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


@pytest.fixture
def damaged_dir(tmp_path):
    """3 good PNGs and 1 good JPEG; a PNG with a bad CRC, one with a corrupt IDAT (correct CRC), a JPEG cut short
    (end marker re-added), a JPEG with junk before its end marker, a 14000x14000 PNG header."""
    rng = np.random.default_rng(0)
    good = [_png(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)) for _ in range(3)]
    for i, data in enumerate(good):
        (tmp_path / f"good{i}.png").write_bytes(data)
    (tmp_path / "good3.jpg").write_bytes(_jpeg(1))
    crc = bytearray(good[0])
    pos, _, payload = next(c for c in _chunks(good[0]) if c[1] == b"IDAT")
    crc[pos + 8 + len(payload) // 2] ^= 0xFF
    (tmp_path / "bad_crc.png").write_bytes(bytes(crc))
    payload = bytearray(payload)
    payload[len(payload) // 2: len(payload) // 2 + 8] = b"\xff" * 8
    (tmp_path / "bad_idat.png").write_bytes(_replace_idat(good[1], bytes(payload)))
    jpeg = _jpeg(2)
    (tmp_path / "cut.jpg").write_bytes(jpeg[: len(jpeg) * 2 // 3] + b"\xff\xd9")
    (tmp_path / "junk.jpg").write_bytes(jpeg[:-2] + b"\0" * 40 + b"\xff\xd9")
    (tmp_path / "huge.png").write_bytes(_huge_png(14000, 14000))
    return tmp_path


def test_corrupt_files_are_counted_named_and_the_used_count_reported(damaged_dir, caplog):
    with caplog.at_level(logging.WARNING):
        src = load_source("ffhq", str(damaged_dir))
    assert sorted(os.path.basename(p) for p in src.paths) == ["good0.png", "good1.png", "good2.png", "good3.jpg"]
    assert src.skipped == 5 and src.info["corrupt"] == 5
    (warning,) = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert "skipped 5 of 9" in warning and "using 4" in warning
    for name in ("bad_crc.png", "bad_idat.png", "cut.jpg", "junk.jpg", "huge.png"):
        assert name in warning, (name, warning)
    assert "Corrupt JPEG data" in warning and "14000x14000" in warning


def test_a_folder_of_undecodable_images_is_a_data_error(tmp_path):
    # Each file starts and ends like a JPEG, so only a real decode tells that none is an image.
    for i in range(3):
        (tmp_path / f"2{i}_0_0_2017010{i}.jpg.chip.jpg").write_bytes(b"\xff\xd8\xff" + os.urandom(300) + b"\xff\xd9")
    for name in ("utkface", "ffhq"):
        with pytest.raises(DatasetNotFoundError, match=r"no usable .*3 corrupt"):
            load_source(name, str(tmp_path))


def test_training_and_evaluate_exit_2_on_a_folder_of_undecodable_images(tmp_path, capsys):
    from recipes import celeba_dcgan
    from zoo import evaluate

    data = tmp_path / "data"
    data.mkdir()
    for i in range(3):
        (data / f"2{i}_0_0_2017010{i}.jpg.chip.jpg").write_bytes(b"\xff\xd8\xff" + os.urandom(300) + b"\xff\xd9")
    argv = ["--data", "utkface", "--data-dir", str(data), "--image-size", "16", "--batch-size", "2", "--steps", "1",
            "--out", str(tmp_path / "runs")]
    assert celeba_dcgan.main(argv) == 2
    err = capsys.readouterr().err
    assert "no usable UTKFace image" in err and "cannot write" not in err
    assert evaluate.main(["--real", str(data), "--fake", str(data), "--metrics", "sharpness"]) == 2
    assert "no usable" in capsys.readouterr().err


def test_read_image_decodes_16_bit_png_as_training_does(tmp_path):
    grey = np.array([[0, 100 * 257], [200 * 257, 65535]], np.uint16)
    Image.fromarray(grey).save(tmp_path / "deep.png")  # a 16-bit greyscale PNG
    with Image.open(tmp_path / "deep.png") as im:
        assert im.mode.startswith("I")  # really 16-bit on disk
    img = read_image(str(tmp_path / "deep.png"))
    assert img.dtype == np.uint8 and img.shape == (2, 2, 3)
    np.testing.assert_array_equal(img[..., 0], [[0, 100], [200, 255]])
    assert read_image(str(tmp_path / "deep.png"), channels=1).shape == (2, 2, 1)


@pytest.mark.parametrize("make", [_huge_png, _huge_jpeg])
def test_oversized_images_are_refused_before_decoding(tmp_path, make):
    path = tmp_path / ("huge.png" if make is _huge_png else "huge.jpg")
    path.write_bytes(make(14000, 14000))
    assert 14000 * 14000 > MAX_PIXELS
    with pytest.raises(DataError, match=rf"{path.name} is 14000x14000 pixels, more than"):
        read_image(str(path))
    good, bad = check_images([str(path)])
    assert good == [] and bad == [str(path)]


def test_read_image_names_an_unreadable_file(tmp_path):
    (tmp_path / "x.png").write_text("not an image")
    with pytest.raises(DataError, match=r"x\.png is not a readable image"):
        read_image(str(tmp_path / "x.png"))
    with pytest.raises(DataError, match="missing.png"):
        read_image(str(tmp_path / "missing.png"))


def test_an_image_stream_that_yields_nothing_is_a_data_error():
    from zoo.metrics.measure import measure_images

    with pytest.raises(DataError, match="fakes: no image was read"):
        measure_images(iter([]), sharpness=True, progress=False, description="fakes")


def _scans(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of the compressed data of each scan of a JPEG file."""
    out, i = [], 2
    while data[i + 1] != 0xD9:
        length = struct.unpack(">H", data[i + 2: i + 4])[0]
        if data[i + 1] != 0xDA:
            i += 2 + length
            continue
        start = end = i + 2 + length
        while not (data[end] == 0xFF and data[end + 1] != 0 and not 0xD0 <= data[end + 1] <= 0xD7):
            end += 1
        out.append((start, end))
        i = end
    return out


def test_a_jpeg_whose_scan_data_was_zeroed_is_rejected(tmp_path):
    from zoo.data.synthetic import write_utkface

    root = write_utkface(str(tmp_path / "faces"), 1, seed=1, image_size=200)
    buf = io.BytesIO()
    with Image.open(os.path.join(root, os.listdir(root)[0])) as im:
        im.save(buf, "JPEG", progressive=True, quality=75)  # 10 scans; zeroing its 7th decodes cleanly
    data = buf.getvalue()
    (tmp_path / "good.jpg").write_bytes(data)
    scans = _scans(data)
    # each longer than a zero run that photos never hold (a few bytes of zeros cannot be told from real data)
    assert len(scans) > 3 and min(end - start for start, end in scans) > 64
    paths = []
    for k, (start, end) in enumerate(scans):  # a disk block of zeros over one scan's data, each in turn
        paths.append(str(tmp_path / f"zeroed{k}.jpg"))
        open(paths[-1], "wb").write(data[:start] + b"\0" * (end - start) + data[end:])
    good, bad = check_images([str(tmp_path / "good.jpg"), *paths])
    assert good == [0] and bad == paths
