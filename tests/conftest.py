"""Shared fixtures: tiny datasets written in the real on-disk layouts by the synthetic set."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UTKFACE_REAL = os.path.join(ROOT, "..", "shared", "data", "utkface")


_LAST_MODULE = []


@pytest.fixture(autouse=True)
def _seed(request):
    """Each test starts from a fresh Keras state and the same seed. Without the clear, the models, graphs and
    name counters of every earlier in-process test stay alive, and late tests ran up to 10x slower in the full
    suite than alone.

    A full garbage collection walks every object of the process (TensorFlow's ~400,000 and whatever the tests
    loaded since): 0.2-0.4 s, which at every test was four to six minutes of the suite. What is alive before the
    first test (the imported modules) is moved out of the collector's sight once (``gc.freeze``), and the full
    collection runs when a new test file starts, not at every test; Python's own generational collections run in
    between as always."""
    import gc

    import keras

    module = request.node.nodeid.split("::")[0]
    if not _LAST_MODULE:
        gc.collect()
        gc.freeze()
    keras.backend.clear_session(free_memory=_LAST_MODULE[-1:] != [module])
    _LAST_MODULE[:] = [module]
    keras.utils.set_random_seed(0)


@pytest.fixture(scope="session")
def celeba_dir(tmp_path_factory):
    from zoo.data.synthetic import write_celeba

    return write_celeba(str(tmp_path_factory.mktemp("celeba")), 20, seed=1)


@pytest.fixture(scope="session")
def utkface_dir(tmp_path_factory):
    """12 good UTKFace files, 2 malformed names, 1 truncated JPEG and 1 text file named .jpg."""
    from zoo.data.synthetic import write_utkface

    root = write_utkface(str(tmp_path_factory.mktemp("utkface")), 12, seed=2, image_size=64)
    good = sorted(os.listdir(root))[0]
    data = open(os.path.join(root, good), "rb").read()
    open(os.path.join(root, "39_1_20170116174525125.jpg.chip.jpg"), "wb").write(data)  # missing race field
    open(os.path.join(root, "61_1_20170109150557335.jpg .chip.jpg"), "wb").write(data)  # stray space
    open(os.path.join(root, "30_0_1_20170109000000001.jpg.chip.jpg"), "wb").write(data[: len(data) // 2])
    open(os.path.join(root, "31_0_1_20170109000000002.jpg.chip.jpg"), "w").write("not an image")
    return root


@pytest.fixture(scope="session")
def utkface_csv(tmp_path_factory):
    from zoo.data.synthetic import write_utkface_csv

    return write_utkface_csv(str(tmp_path_factory.mktemp("utkcsv") / "age_gender.csv"), 10, seed=3)


@pytest.fixture(scope="session")
def ffhq_dir(tmp_path_factory):
    from zoo.data.synthetic import write_ffhq

    return write_ffhq(str(tmp_path_factory.mktemp("ffhq")), 6, seed=4, image_size=32)


def needs_real_utkface():
    return pytest.mark.skipif(not os.path.isdir(UTKFACE_REAL), reason="../shared/data/utkface is not present")


@pytest.fixture
def sync_events(monkeypatch):
    """The ("fsync", path) and ("replace", destination) calls a write makes, in order (they still happen)."""
    import os

    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}"))),
                                                 real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (events.append(("replace", str(b))), real_replace(a, b))[1])
    return events
