import os

import pytest

from zoo.utils.io import atomic_path, read_json, write_json


def test_atomic_write_replaces_and_is_readable(tmp_path):
    path = tmp_path / "a.json"
    write_json(str(path), {"x": 1})
    write_json(str(path), {"x": 2})
    assert read_json(str(path)) == {"x": 2}
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_failed_write_leaves_the_old_file(tmp_path):
    path = tmp_path / "a.json"
    write_json(str(path), {"x": 1})
    with pytest.raises(RuntimeError):
        with atomic_path(str(path)) as tmp:
            open(tmp, "w").write("half")
            raise RuntimeError("crash mid-write")
    assert read_json(str(path)) == {"x": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_atomic_write_syncs_the_data_before_the_rename_and_the_folder_after(tmp_path, sync_events):
    events = sync_events
    path = tmp_path / "a.json"
    write_json(str(path), {"x": 1})
    kinds = [e[0] for e in events]
    assert kinds == ["fsync", "replace", "fsync"], events
    assert os.path.basename(events[0][1]).startswith(".tmp-") and events[2][1] == str(tmp_path)
