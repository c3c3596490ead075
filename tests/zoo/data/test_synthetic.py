import numpy as np
import pytest

from zoo.data.synthetic import ATTRIBUTES, render_faces


def test_shapes_and_dtypes_at_any_resolution():
    for size in (8, 17, 32):
        f = render_faces(0, 5, size, seed=0)
        assert f.images.shape == (5, size, size, 3) and f.images.dtype == np.uint8
        assert f.masks.shape == (5, size, size)
        assert set(f.labels) == {*ATTRIBUTES, "age", "gender", "race"}
        assert all(len(v) == 5 for v in f.labels.values())


def test_same_seed_and_index_give_the_same_face_in_any_batch():
    a = render_faces(0, 80, 16, seed=3)
    b = render_faces(70, 6, 16, seed=3)
    np.testing.assert_array_equal(a.images[70:76], b.images)
    np.testing.assert_array_equal(a.labels["age"][70:76], b.labels["age"])
    c = render_faces(0, 80, 16, seed=4)
    assert not np.array_equal(a.images, c.images)


def test_labels_are_consistent():
    lab = render_faces(0, 400, 8, seed=0).labels
    np.testing.assert_array_equal(lab["Male"], 1 - lab["gender"])
    hair = lab["Black_Hair"] + lab["Blond_Hair"] + lab["Brown_Hair"] + lab["Gray_Hair"]
    np.testing.assert_array_equal(hair + lab["Bald"], np.ones(400))  # exactly one of hair colours or bald
    assert lab["Mustache"][lab["gender"] == 1].sum() == 0
    assert set(np.unique(lab["race"])) == {0, 1, 2, 3, 4}
    np.testing.assert_array_equal(lab["Young"], (lab["age"] < 40).astype(int))
    for a in ("Smiling", "Eyeglasses", "Male"):
        assert 0.15 < lab[a].mean() < 0.85, a  # balanced enough to learn


def test_mask_covers_the_face_and_plain_background_is_flat():
    f = render_faces(0, 20, 32, seed=0, plain_background=True)
    frac = f.masks.mean(axis=(1, 2))
    assert np.all(frac > 0.15) and np.all(frac < 0.8)
    assert f.masks[:, 16, 16].all()  # centre of the image is the face
    bg = f.images.astype(float)[f.masks == 0]
    busy = render_faces(0, 20, 32, seed=0).images.astype(float)[f.masks == 0]
    assert bg.std() < busy.std()


def test_attributes_are_learnable_from_pixels():
    from sklearn.linear_model import LogisticRegression

    f = render_faces(0, 900, 24, seed=5, plain_background=True)
    x = f.images.reshape(900, -1).astype(np.float32) / 255.0
    for attr in ("Eyeglasses", "Smiling"):
        y = f.labels[attr]
        clf = LogisticRegression(max_iter=300, C=0.5).fit(x[:700], y[:700])
        acc = clf.score(x[700:], y[700:])
        base = max(y[700:].mean(), 1 - y[700:].mean())
        assert acc > base + 0.1, (attr, acc, base)


def test_bad_arguments():
    with pytest.raises(ValueError, match="image_size"):
        render_faces(0, 2, 2)
    assert render_faces(0, 0, 8).images.shape == (0, 8, 8, 3)
