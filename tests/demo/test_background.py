import numpy as np
import pytest

from demo import core
from demo.tabs import background

pytest.importorskip("rembg")


def test_the_shipped_segmenter_separates_a_synthetic_face_from_its_background():
    from zoo.data.synthetic import render_faces
    from zoo.segmentation import SHIPPED, mask_iou

    faces = render_faces(0, 1, 128, seed=0)
    image, truth = faces.images[0], faces.masks[0]
    out = background.remove_background(image, SHIPPED)
    mask, grey, blur, cutout = out["mask"], out["grey"], out["blur"], out["cutout"]
    assert mask.shape == image.shape[:2] and grey.shape == blur.shape == image.shape
    assert cutout.shape == (*image.shape[:2], 4)  # the transparent cut-out: the photo, alpha = the mask
    np.testing.assert_array_equal(cutout[..., :3], image)
    np.testing.assert_array_equal(cutout[..., 3], mask)
    assert mask_iou(mask, truth) > 0.5  # the person, not an empty or full mask
    back, person = mask == 0, mask == 255
    assert back.any() and person.any()
    np.testing.assert_array_equal(grey[back], 128)  # pure background: flat grey
    np.testing.assert_array_equal(grey[person], image[person])  # the person untouched
    np.testing.assert_array_equal(blur[person], image[person])
    assert not np.array_equal(blur[back], image[back])


def test_background_refusals_are_sentences():
    img = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(core.DemoError, match="segmenter must be one of auto"):
        background.remove_background(img, "u2net_made_up")
    with pytest.raises(core.DemoError, match="blur sigma"):
        background.remove_background(img, "auto", blur_sigma=0.9)
    with pytest.raises(core.DemoError, match="RGB image"):
        background.remove_background(np.zeros((8, 8), np.uint8))
