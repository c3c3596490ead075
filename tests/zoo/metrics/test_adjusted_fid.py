import numpy as np
import pytest

from zoo.metrics.adjusted_fid import adjusted_fid, encoded_sizes, size_reduction


def test_reduction_from_file_sizes(tmp_path):
    raw, removed = tmp_path / "raw", tmp_path / "removed"
    raw.mkdir(), removed.mkdir()
    for i, (a, b) in enumerate([(100, 50), (300, 190)]):
        (raw / f"{i}.png").write_bytes(b"x" * a)
        (removed / f"{i}.png").write_bytes(b"x" * b)
    r = size_reduction(str(raw), str(removed))
    assert r == pytest.approx(1 - 120 / 200)  # 0.4
    assert adjusted_fid(30.0, r) == pytest.approx(18.0)
    with pytest.raises(ValueError):
        adjusted_fid(30.0, 1.0)


def test_flat_background_encodes_smaller():
    rng = np.random.default_rng(0)
    raw = rng.integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)
    removed = raw.copy()
    removed[:, :, :16] = 255  # half the image replaced by a plain background
    assert (encoded_sizes(removed) < encoded_sizes(raw)).all()
    assert 0.2 < size_reduction(raw, removed) < 0.6
