import numpy as np
import pytest
import tensorflow as tf

from zoo.data import load_source, make_dataset
from zoo.data import transforms

from tests.conftest import UTKFACE_REAL, needs_real_utkface


def test_batches_shape_range_and_labels(utkface_dir):
    src = load_source("utkface", utkface_dir)
    x, y = next(iter(make_dataset(src, 16, 4, labels=("age", "gender"))))
    assert x.shape == (4, 16, 16, 3) and x.dtype == tf.float32
    assert -1.0 <= float(tf.reduce_min(x)) and float(tf.reduce_max(x)) <= 1.0
    assert float(tf.reduce_max(x)) - float(tf.reduce_min(x)) > 0.5  # real content, not a constant
    assert y["age"].shape == (4,) and set(y) == {"age", "gender"}


def test_greyscale_and_finite_pass(utkface_csv):
    src = load_source("utkface", utkface_csv)
    ds = make_dataset(src, 16, 3, channels=1, repeat=False, drop_remainder=False, shuffle=False)
    batches = list(ds)
    assert sum(b.shape[0] for b in batches) == 10 and batches[0].shape[1:] == (16, 16, 1)
    rgb = next(iter(make_dataset(src, 16, 3, channels=3, shuffle=False)))
    np.testing.assert_allclose(rgb[..., 0], rgb[..., 2])


def test_shuffle_is_seeded_and_reshuffles_each_epoch():
    src = load_source("synthetic", image_size=8, num_synthetic=32)
    a = make_dataset(src, 8, 32, seed=1)
    b = make_dataset(src, 8, 32, seed=1)
    it_a, it_b = iter(a), iter(b)
    e1, e2 = next(it_a).numpy(), next(it_a).numpy()
    np.testing.assert_array_equal(e1, next(it_b).numpy())
    assert not np.array_equal(e1, e2)
    np.testing.assert_allclose(np.sort(e1.ravel()), np.sort(e2.ravel()))  # same images, new order


def test_crops():
    img = tf.reshape(tf.range(218 * 178 * 1) % 251, (218, 178, 1))
    assert transforms.crop(img, "cut20").shape == (178, 178, 1)
    np.testing.assert_array_equal(transforms.crop(img, "cut20")[0], img[20])
    c = transforms.crop(img, "center178")
    assert c.shape == (178, 178, 1)
    np.testing.assert_array_equal(c[0], img[20])
    assert transforms.crop(tf.zeros((40, 60, 3)), "square").shape == (40, 40, 3)
    with pytest.raises(ValueError, match="unknown crop"):
        transforms.crop(img, "diagonal")


def test_corrupt_file_that_passes_the_check_is_dropped_not_fatal(tmp_path, ffhq_dir):
    src = load_source("ffhq", ffhq_dir)
    # a PNG signature and IEND marker around garbage: passes the cheap check, fails to decode
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64 + b"IEND\xaeB`\x82")
    src.paths = [*src.paths, str(bad)]
    src.num_examples = len(src.paths)
    images = list(make_dataset(src, 8, 1, repeat=False, shuffle=False, cache=False))
    assert len(images) == 6


def test_group_batches_gives_each_step_its_scheduled_batches_in_order():
    from zoo.data.pipeline import group_batches

    batches = tf.data.Dataset.range(100).map(lambda i: tf.fill((2, 1), i))  # batch i holds the value i
    schedule = lambda step: tf.where(step < 2, tf.constant(3, tf.int64), tf.constant(1, tf.int64))  # noqa: E731
    steps = [x.numpy().ravel().tolist() for x in group_batches(batches, schedule).take(4)]
    assert steps == [[0, 0, 1, 1, 2, 2], [3, 3, 4, 4, 5, 5], [6, 6], [7, 7]]
    resumed = [x.numpy().ravel().tolist() for x in group_batches(batches.skip(6), schedule, start_step=2).take(2)]
    assert resumed == [[6, 6], [7, 7]]


def _first_of_epoch(src, count, **kw):
    ds = make_dataset(src, 4, 1000, labels=("index",), seed=3, **kw)
    _, labels = next(iter(ds))
    return labels["index"].numpy()[:count]


def test_an_epoch_is_a_uniform_permutation_of_a_sorted_set():
    # 20,000 examples sorted by their label, as UTKFace's files are sorted by age: the first 1,000 of an epoch
    # must come from the whole range (a 10,000-example shuffle buffer drew them all from the first ~11,000).
    from zoo.data.source import ImageSource

    n = 20_000
    src = ImageSource(name="sorted", arrays=np.zeros((n, 4, 4, 3), np.uint8), labels={"index": np.arange(n)})
    first = _first_of_epoch(src, 1000)
    assert len(set(first.tolist())) == 1000
    upper_half = float(np.mean(first >= n // 2))
    assert 0.44 < upper_half < 0.56, upper_half
    assert first.max() > 0.95 * n


def test_a_set_too_large_to_shuffle_whole_is_refused_with_the_way_out():
    from zoo.data.pipeline import full_shuffle_buffer

    assert full_shuffle_buffer(20_183, 64 * 64 * 3) == 20_183
    with pytest.raises(ValueError, match="smaller --image-size"):
        full_shuffle_buffer(70_000, 256 * 256 * 3)


@pytest.mark.real_data
@needs_real_utkface()
def test_the_first_1000_utkface_faces_of_an_epoch_have_the_whole_sets_ages():
    src = load_source("utkface", UTKFACE_REAL)
    ages = np.asarray(src.labels["age"])
    ds = make_dataset(src, 4, 1000, labels=("age",), seed=0, cache=False)
    _, labels = next(iter(ds))
    first = labels["age"].numpy()
    whole = np.mean(ages >= 40)
    # the half shuffle gave 0.00 aged 40+ in the first 1,000 (30 % in the data); a uniform draw of 1,000 has a
    # standard error of 0.015 on that share
    assert abs(np.mean(first >= 40) - whole) < 0.06, (np.mean(first >= 40), whole)
    hist_first = np.histogram(first, bins=[0, 10, 20, 30, 40, 60, 120])[0] / len(first)
    hist_whole = np.histogram(ages, bins=[0, 10, 20, 30, 40, 60, 120])[0] / len(ages)
    assert np.abs(hist_first - hist_whole).max() < 0.06, (hist_first, hist_whole)
