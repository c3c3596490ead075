"""python -m zoo.preset_distance: one evaluation of several presets with the real-vs-real floor, recorded in each
preset's metadata (which the gallery reads)."""

import json

import numpy as np

import zoo
from tests.zoo.test_evaluate import faces  # noqa: F401 - the module fixture: 64 faces and a tiny extractor
from zoo.preset_distance import main


def _preset(path, seed):
    from zoo.models.dcgan import DCGANGenerator

    import keras

    keras.utils.set_random_seed(seed)
    g = DCGANGenerator(8, 16, 3, 4, name="generator")
    g.build((None, 8))
    zoo.save_to_preset(g, str(path), {"dataset": "synthetic"})
    return str(path)


def test_each_preset_gets_its_distance_and_the_floor_of_the_same_run(faces, tmp_path, capsys):  # noqa: F811
    folder, extractor, _ = faces
    a, b = _preset(tmp_path / "a", 1), _preset(tmp_path / "b", 2)
    assert main([a, b, "--real", folder, "--extractor", extractor, "--n", "32", "--repeats", "2",
                 "--no-cache"]) == 0
    recs = [json.load(open(f"{p}/metadata.json"))["face_feature_distance"] for p in (a, b)]
    for rec in recs:
        fd = rec["FD[tiny_face_net]"]
        assert fd["mean"] > rec["real_vs_real_floor_FD"] >= 0 and fd["std"] >= 0
        assert rec["n"] == 32 and rec["repeats"] == 2 and "KID[tiny_face_net]" in rec
        assert rec["command"].startswith("python -m zoo.evaluate --real") and a in rec["command"]
    assert recs[0]["real_vs_real_floor_FD"] == recs[1]["real_vs_real_floor_FD"]
    assert recs[0]["FD[tiny_face_net]"] != recs[1]["FD[tiny_face_net]"]  # each preset its own row
    assert json.load(open(f"{a}/metadata.json"))["dataset"] == "synthetic"  # the rest of the metadata kept
    g = zoo.from_preset(a)  # the weights still load: metadata.json is outside the pinned files
    assert np.isfinite(np.asarray(g(np.zeros((1, 8), "float32")))).all()


def test_a_folder_that_is_not_a_preset_exits_2(tmp_path, capsys):
    assert main([str(tmp_path), "--real", "synthetic"]) == 2
    assert "not a preset folder" in capsys.readouterr().err


def test_a_split_record_per_extractor_with_its_floor_and_the_weights_it_measured(faces, tmp_path):  # noqa: F811
    from zoo.data.synthetic import write_utkface

    _, extractor, _ = faces
    root = write_utkface(str(tmp_path / "utk"), 80, seed=4, image_size=16)
    a, b = _preset(tmp_path / "a", 1), _preset(tmp_path / "b", 2)
    assert main([a, b, "--real", f"utkface:{root}", "--split", "test", "--extractor", extractor, "--metrics",
                 "fid,precision,recall", "--n", "8", "--repeats", "1", "--resolution", "16", "--no-cache"]) == 0
    for p in (a, b):
        meta = json.load(open(f"{p}/metadata.json"))
        rec = meta["test_distances"]["tiny_face_net"]
        assert "face_feature_distance" not in meta  # the all-faces record is another protocol
        assert rec["weights_sha256"] == meta["weights_sha256"] and rec["split"] == "test"
        assert rec["resolution"] == 16 and rec["n"] == 8 and "--split test" in rec["command"]
        for name in ("FD[tiny_face_net]", "precision[tiny_face_net]", "recall[tiny_face_net]"):
            assert name in rec and name in rec["floor"]
        assert rec["FD[tiny_face_net]"]["mean"] > rec["floor"]["FD[tiny_face_net]"] >= 0
    assert main([a, "--real", f"utkface:{root}", "--metrics", "fid,recall"]) == 2  # all faces: FD and KID only
