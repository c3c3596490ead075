"""A photo given to a model (encoded, projected, exported for parity, uploaded to the demo) is decoded, cropped and
resized exactly as the training pipeline reads its images: one decision, made in one place."""

import numpy as np
import pytest
from PIL import Image

from zoo.data.pipeline import make_dataset
from zoo.data.source import ImageSource


@pytest.fixture
def photo(tmp_path):
    rng = np.random.default_rng(0)
    # Not square and not a multiple of the model size: the crop and the antialiased resize both matter.
    img = (rng.uniform(0, 255, (90, 70, 3)) * np.linspace(0.3, 1, 70)[None, :, None]).astype(np.uint8)
    path = tmp_path / "face.jpg"
    Image.fromarray(img).save(path, quality=90)
    return str(path), img


def pipeline_view(path, size, channels):
    source = ImageSource(name="folder", paths=[path], crop="square")
    ds = make_dataset(source, size, 1, channels=channels, shuffle=False, cache=False, repeat=False)
    return next(iter(ds)).numpy()


@pytest.mark.parametrize("size,channels", [(32, 3), (48, 1)])
def test_every_photo_reader_gives_what_training_saw(photo, size, channels, tmp_path):
    from demo.core import read_upload, to_model_input
    from export.exporter import load_images
    from zoo.latent.data import load_photo

    path, _ = photo
    want = pipeline_view(path, size, channels)
    assert want.shape == (1, size, size, channels)
    np.testing.assert_array_equal(load_photo(path, size, channels, align=False), want)  # --no-align
    exported, names = load_images(str(tmp_path), 4, (size, size), channels)
    assert names == ["face.jpg"]
    np.testing.assert_allclose(exported, want, atol=1e-6)
    np.testing.assert_array_equal(to_model_input(read_upload(path), size, channels), want)


def test_an_unreadable_photo_is_one_sentence(tmp_path):
    from zoo.latent.data import LatentError, load_photo

    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not an image")
    with pytest.raises(LatentError, match="bad.jpg is not a readable image"):
        load_photo(str(bad), 32)
