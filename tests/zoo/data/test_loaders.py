import logging
import os

import numpy as np
import pytest

from zoo.data import DatasetNotFoundError, load_source
from zoo.data.celeba import parse_attributes
from zoo.data.errors import DataError
from zoo.data.synthetic import CELEBA_ATTRIBUTES, render_faces
from zoo.data.utkface import load_utkface_csv, parse_name


def test_utkface_name_parsing():
    assert parse_name("26_1_2_20170116174525125.jpg.chip.jpg") == {"age": 26, "gender": 1, "race": 2}
    assert parse_name("/x/100_0_4_1.jpg.chip.jpg") == {"age": 100, "gender": 0, "race": 4}
    for bad in ("39_1_20170116174525125.jpg.chip.jpg", "61_1_2_2017 .jpg.chip.jpg", "26_1_2_2017jpg.chip.jpg",
                "26_3_2_2017.jpg.chip.jpg", "26_1_7_2017.jpg.chip.jpg", "0_1_2_2017.jpg.chip.jpg", "x.jpg"):
        assert parse_name(bad) is None, bad


def test_utkface_folder_skips_and_counts_bad_files(utkface_dir, caplog):
    with caplog.at_level(logging.WARNING):
        src = load_source("utkface", utkface_dir)
    assert len(src) == 12
    assert src.info["malformed_names"] == 2 and src.info["corrupt"] == 2 and src.skipped == 4
    assert sum("malformed names" in r.message for r in caplog.records) == 1  # one warning, not one per file
    for p, age, g, r in zip(src.paths, src.labels["age"], src.labels["gender"], src.labels["race"]):
        assert parse_name(p) == {"age": age, "gender": g, "race": r}
    assert "non-commercial" in src.info["licence"]


def test_utkface_csv(utkface_csv):
    src = load_source("utkface", utkface_csv)
    assert src.arrays.shape == (10, 48, 48, 1)
    ref = render_faces(0, 10, 48, seed=3)
    np.testing.assert_array_equal(src.labels["age"], ref.labels["age"])
    np.testing.assert_array_equal(src.labels["race"], ref.labels["race"])


def test_utkface_csv_bad_rows_and_columns(tmp_path):
    good = "1,0,0,x.jpg," + '"' + " ".join(["7"] * 2304) + '"'
    path = tmp_path / "a.csv"
    path.write_text("age,ethnicity,gender,img_name,pixels\n" + good + "\n5,0,0,y.jpg,\"1 2 3\"\n9,9,0,z,\"1\"\n")
    src = load_utkface_csv(str(path))
    assert len(src) == 1 and src.skipped == 2
    (tmp_path / "b.csv").write_text("age,gender\n1,0\n")
    with pytest.raises(DataError, match="ethnicity"):
        load_utkface_csv(str(tmp_path / "b.csv"))


def test_celeba_folder_layout(celeba_dir):
    src = load_source("celeba", celeba_dir, split="train")
    assert len(src) == 16 and src.crop == "center178"
    assert set(src.labels) == set(CELEBA_ATTRIBUTES)
    ref = render_faces(0, 20, 178, seed=1).labels
    idx = [int(os.path.basename(p)[:6]) - 1 for p in src.paths]
    for a in ("Smiling", "Eyeglasses", "Male", "Young"):
        np.testing.assert_array_equal(src.labels[a], ref[a][idx])
    assert len(load_source("celeba", celeba_dir, split="test")) == 2
    assert len(load_source("celeba", celeba_dir, split="all")) == 20


def test_celeba_malformed_attribute_file(tmp_path, celeba_dir):
    lines = open(os.path.join(celeba_dir, "list_attr_celeba.txt")).read().splitlines()
    lines[4] = lines[4].rsplit(" ", 3)[0]  # drop values from one row
    bad = tmp_path / "list_attr_celeba.txt"
    bad.write_text("\n".join(lines))
    with pytest.raises(DataError, match=r"list_attr_celeba.txt:5"):
        parse_attributes(str(bad))


def test_celeba_attribute_file_not_text_or_cut_short(tmp_path, celeba_dir):
    from zoo.data.celeba import parse_partition

    lines = open(os.path.join(celeba_dir, "list_attr_celeba.txt")).read().splitlines()
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\x1f\x8b\x08\x00" + os.urandom(200))  # e.g. the gzipped file under the text name
    for parse in (parse_attributes, parse_partition):
        with pytest.raises(DataError, match=r"binary\.txt: not a text file"):
            parse(str(binary))
    cut = tmp_path / "cut.txt"  # cut at a row boundary: the count line says 20, 8 rows follow
    cut.write_text("\n".join(lines[:10]) + "\n")
    with pytest.raises(DataError, match=r"cut\.txt:11: the count line says 20 rows but the file has 8 \(cut short"):
        parse_attributes(str(cut))
    extra = tmp_path / "extra.txt"
    extra.write_text("\n".join(["5"] + lines[1:]))
    with pytest.raises(DataError, match=r"extra\.txt:1: the count line says 5 rows but the file has 20"):
        parse_attributes(str(extra))
    nocount = tmp_path / "nocount.txt"
    nocount.write_text("\n".join(lines[1:]))
    with pytest.raises(DataError, match=r"nocount\.txt:1: expected the number of images"):
        parse_attributes(str(nocount))
    files, attrs = parse_attributes(os.path.join(celeba_dir, "list_attr_celeba.txt"))
    assert len(files) == attrs.shape[0] == int(lines[0])


def test_missing_datasets_say_how_to_get_them(tmp_path):
    with pytest.raises(DatasetNotFoundError) as e:
        load_source("celeba", str(tmp_path / "nope"))
    msg = str(e.value)
    assert str(tmp_path / "nope") in msg and "img_align_celeba" in msg and "tfds" in msg.lower()
    assert "--data synthetic" in msg
    for name in ("utkface", "ffhq"):
        with pytest.raises(DatasetNotFoundError, match="--data synthetic"):
            load_source(name, str(tmp_path / "nope"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetNotFoundError, match="no usable"):
        load_source("ffhq", str(tmp_path / "empty"))
    with pytest.raises(DataError, match="unknown dataset"):
        load_source("mnist")


def test_ffhq_recursive_and_corrupt(ffhq_dir, tmp_path):
    src = load_source("ffhq", ffhq_dir)
    assert len(src) == 6 and all(p.endswith(".png") for p in src.paths)
    assert os.path.basename(os.path.dirname(src.paths[0])) == "00000"
    with open(src.paths[0], "rb") as f:
        data = f.read()
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "ok.png").write_bytes(data)
    (tmp_path / "a" / "cut.png").write_bytes(data[:100])
    src2 = load_source("ffhq", str(tmp_path))
    assert len(src2) == 1 and src2.skipped == 1


def test_celeba_from_tfds(tmp_path, monkeypatch):
    tfds = pytest.importorskip("tensorflow_datasets")
    from zoo.data import make_dataset

    monkeypatch.setattr(tfds.core.DatasetBuilder, "is_prepared", lambda self: True)
    with tfds.testing.mock_data(num_examples=6):
        src = load_source("celeba", str(tmp_path))
        assert src.dataset_fn is not None and src.crop == "center178"
        x, y = next(iter(make_dataset(src, 16, 2, labels=("Smiling", "Male"), cache=False)))
    assert x.shape == (2, 16, 16, 3) and set(y) == {"Smiling", "Male"}
    assert set(np.unique(y["Smiling"].numpy())) <= {0, 1}
