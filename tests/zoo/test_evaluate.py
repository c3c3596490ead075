import json
import os

import keras
import numpy as np
import pytest

from zoo import evaluate


def blob_images(n, size=16, seed=0):
    """Smooth random colour images (4x4 random colours upsampled, plus a little noise), uint8."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (n, 4, 4, 3)).astype(np.float32)
    images = np.kron(coarse, np.ones((1, size // 4, size // 4, 1))) + rng.normal(0, 8, (n, size, size, 3))
    return np.clip(images, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def faces(tmp_path_factory):
    """64 images at 16 px as PNG files named as UTKFace names them (so the UTKFace loader reads them too), and a
    tiny Keras extractor saved as .keras."""
    from zoo.utils.images import save_png

    root = tmp_path_factory.mktemp("evaluate")
    folder = root / "faces"
    folder.mkdir()
    for i, image in enumerate(blob_images(64, seed=5)):
        save_png(str(folder / f"{20 + i}_{i % 2}_{i % 5}_2017010100000{i:04d}.jpg.chip.jpg"), image, min_size=1)
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Conv2D(8, 3, strides=2, activation="relu"),
                              keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(6, activation="tanh"),
                              keras.layers.Dense(2)], name="tiny_face_net")
    extractor = str(root / "tiny_face_net.keras")
    model.save(extractor)
    return str(folder), extractor, root


def test_help_documents_the_flags(capsys):
    with pytest.raises(SystemExit) as e:
        evaluate.main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for flag in ("--real", "--fake", "--metrics", "--extractor", "--n", "--repeats", "--out", "--inception-weights",
                 "fid,kid,is,sharpness"):
        assert flag in out


def test_same_folder_gives_zero_distance_and_kid_within_its_std(faces, tmp_path, capsys):
    folder, extractor, _ = faces
    out = str(tmp_path / "report.json")
    argv = ["--real", folder, "--fake", folder, "--metrics", "kid,fid", "--extractor", extractor,
            "--kid-subset-size", "8", "--kid-subsets", "50", "--out", out, "--cache-dir", str(tmp_path / "cache"),
            "--no-progress"]
    assert evaluate.main(argv) == 0
    report = json.load(open(out))
    summary = report["results"][0]["summary"]
    assert set(summary) == {"FD[tiny_face_net]", "KID[tiny_face_net]"}  # never called FID
    assert report["results"][0]["extractor"] == "tiny_face_net"
    assert summary["FD[tiny_face_net]"]["mean"] < 1e-3
    kid = summary["KID[tiny_face_net]"]
    assert kid["std"] > 0 and abs(kid["mean"]) <= kid["std"]
    assert report["real"]["cache_reused"] is False and report["protocol"]["resize"].startswith("tf.image.resize")
    md = open(str(tmp_path / "report.md")).read()
    assert "FD[tiny_face_net]" in md and "| faces |" in md
    assert evaluate.main(argv) == 0
    assert json.load(open(out))["real"]["cache_reused"] is True


def test_inception_without_weights_exits_nonzero_with_instructions(faces, tmp_path, monkeypatch, capsys):
    folder, _, _ = faces
    monkeypatch.delenv("FACEZOO_INCEPTION_WEIGHTS", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    code = evaluate.main(["--real", folder, "--fake", folder, "--metrics", "fid"])
    err = capsys.readouterr().err
    assert code == 2 and "--inception-weights" in err and "Traceback" not in err


def test_bad_metric_and_missing_real_are_clear_errors(faces, capsys):
    folder, extractor, _ = faces
    assert evaluate.main(["--fake", folder, "--metrics", "fid,bogus"]) == 2
    assert "bogus" in capsys.readouterr().err
    assert evaluate.main(["--fake", folder, "--metrics", "kid", "--extractor", extractor]) == 2
    assert "--real is required" in capsys.readouterr().err
    assert evaluate.main(["--real", folder, "--fake", "no_such_preset", "--metrics", "sharpness"]) == 2
    assert "no_such_preset" in capsys.readouterr().err


def test_generators_side_by_side_with_repeats(faces, tmp_path, capsys):
    from zoo.models.dcgan import DCGANGenerator

    folder, extractor, _ = faces
    generator = DCGANGenerator(8, 16, 3, 4, name="generator")
    generator.build((None, 8))
    gen_path = str(tmp_path / "tiny_dcgan.keras")
    generator.save(gen_path)
    out = str(tmp_path / "cmp.json")
    assert evaluate.main(["--real", folder, "--fake", folder, gen_path, "--metrics", "fid,kid,sharpness,is",
                          "--extractor", extractor, "--n", "32", "--repeats", "2", "--kid-subset-size", "8",
                          "--kid-subsets", "10", "--is-splits", "2", "--out", out, "--no-cache",
                          "--no-progress"]) == 0
    report = json.load(open(out))
    labels = [r["label"] for r in report["results"]]
    assert labels == ["faces", "tiny_dcgan"]
    gen = report["results"][1]
    assert [r["seed"] for r in gen["repeats"]] == [0, 1] and all(r["count"] == 32 for r in gen["repeats"])
    fd = gen["summary"]["FD[tiny_face_net]"]
    assert fd["std_over"] == "repeats" and fd["std"] > 0 and fd["mean"] > report["results"][0]["summary"][
        "FD[tiny_face_net]"]["mean"]
    assert np.isclose(fd["mean"], np.mean(fd["values"]))
    assert gen["summary"]["IS[tiny_face_net]"]["mean"] >= 1.0
    assert report["real"]["summary"]["sharpness"]["mean"] > 0
    printed = capsys.readouterr().out
    assert "tiny_dcgan" in printed and "±" in printed and os.path.isfile(str(tmp_path / "cmp.md"))


def test_a_run_folder_is_sampled_from_its_latest_checkpoint(faces, tmp_path):
    from recipes import celeba_dcgan

    folder, extractor, _ = faces
    runs = str(tmp_path / "runs")
    assert celeba_dcgan.main(["--data", "utkface", "--data-dir", folder, "--image-size", "16", "--batch-size", "4",
                              "--base-filters", "4", "--latent-dim", "8", "--steps", "1", "--no-jit-compile",
                              "--out", runs]) == 0
    run = os.path.join(runs, os.listdir(runs)[0])
    out = str(tmp_path / "run.json")
    assert evaluate.main(["--real", folder, "--fake", run, "--metrics", "fid", "--extractor", extractor,
                          "--n", "8", "--resolution", "12", "--jit", "--no-cache", "--no-progress", "--out",
                          out]) == 0
    report = json.load(open(out))
    assert report["protocol"]["resolution"] == 12  # both sets resized to 12 px before the extractor's 16
    result = report["results"][0]
    assert result["kind"] == "generator" and result["info"]["step"] == 1
    assert result["summary"]["FD[tiny_face_net]"]["mean"] > 0


def test_same_named_runs_get_distinct_labels():
    class Set:
        def __init__(self, label):
            self.label = label

    sets = [Set("00000-celeba_dcgan"), Set("00000-celeba_dcgan"), Set("vae_utkface_64")]
    evaluate._distinct_labels(sets, ["/w/runs/families/00000-celeba_dcgan", "/w/runs/00000-celeba_dcgan/",
                                     "vae_utkface_64"])
    assert [s.label for s in sets] == ["families/00000-celeba_dcgan", "runs/00000-celeba_dcgan", "vae_utkface_64"]


def test_keep_checkpoints_0_keeps_every_checkpoint_and_each_one_is_evaluated_as_itself(faces, tmp_path):
    # What a run's distance curve needs (python -m zoo.metrics.curve): every checkpoint kept, each one its own
    # fake, with the images it had seen. With the default only the newest two stay.
    from recipes import celeba_dcgan

    folder, extractor, _ = faces
    args = ["--data", "utkface", "--data-dir", folder, "--image-size", "16", "--batch-size", "4", "--base-filters",
            "4", "--latent-dim", "8", "--steps", "4", "--checkpoint-every", "1", "--no-jit-compile"]
    assert celeba_dcgan.main(args + ["--out", str(tmp_path / "default")]) == 0
    run = os.path.join(tmp_path / "default", os.listdir(tmp_path / "default")[0])
    assert len(os.listdir(os.path.join(run, "checkpoints"))) == 3  # two checkpoints and the latest pointer
    assert celeba_dcgan.main(args + ["--keep-checkpoints", "0", "--out", str(tmp_path / "all")]) == 0
    run = os.path.join(tmp_path / "all", os.listdir(tmp_path / "all")[0])
    ckpts = sorted(d for d in os.listdir(os.path.join(run, "checkpoints")) if d.startswith("ckpt-"))
    assert ckpts == [f"ckpt-{s:08d}" for s in (1, 2, 3, 4)]
    out = str(tmp_path / "curve.json")
    fakes = [os.path.join(run, "checkpoints", c) for c in ckpts[::3]]
    assert evaluate.main(["--real", folder, "--fake", *fakes, "--metrics", "fid", "--extractor", extractor, "--n",
                          "8", "--no-cache", "--no-progress", "--out", out]) == 0
    results = json.load(open(out))["results"]
    name = os.path.basename(run)
    assert [r["label"] for r in results] == [f"{name}@1", f"{name}@4"]
    assert [r["info"]["step"] for r in results] == [1, 4]
    assert [r["info"]["images_seen"] for r in results] == [4, 16]
    assert results[0]["summary"] != results[1]["summary"]


def test_precision_and_recall_of_a_set_against_itself_are_one_and_labelled_with_the_space(faces, tmp_path):
    folder, extractor, _ = faces
    out = str(tmp_path / "report.json")
    assert evaluate.main(["--real", folder, "--fake", folder, "--metrics", "precision,recall", "--extractor",
                          extractor, "--out", out, "--no-cache", "--no-progress"]) == 0
    summary = json.load(open(out))["results"][0]["summary"]
    assert set(summary) == {"precision[tiny_face_net]", "recall[tiny_face_net]"}
    assert summary["precision[tiny_face_net]"]["mean"] == 1.0 and summary["recall[tiny_face_net]"]["mean"] == 1.0
    assert "precision[tiny_face_net]" in open(str(tmp_path / "report.md")).read()
