"""The real page in a headless Chromium: Generate, Edit and Analyse answer with images and labelled results."""

import time

import pytest

from demo import screenshots

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def page():
    pytest.importorskip("gradio")
    pytest.importorskip("playwright", reason="the browser test drives Chromium with playwright (requirements.txt)")
    if screenshots.chromium_path() is None:
        pytest.skip("no Chromium: apt-get install -y chromium (as .ci/run does), or set FACEZOO_CHROMIUM")
    with screenshots.serve(env={"FACEZOO_DEMO_ONNX": "0"}) as url, screenshots.browser() as p:
        p.goto(url)
        yield p


def test_the_page_generates_edits_and_analyses(page, tmp_path):
    start = time.monotonic()
    grid = screenshots.drive_generate(page)
    # 16 faces of 64 px enlarged 4x (the defaults), 4 per row with 2 px padding
    assert grid == {"width": 4 * 258 + 2, "height": 4 * 258 + 2}
    edited = screenshots.drive_edit(page)
    assert edited["width"] == 2 * 258 + 2 and "dcgan_utkface_64" in edited["info"]
    face = screenshots.sample_face(str(tmp_path))
    text = screenshots.drive_analyse(page, face)
    for preset in ("classifier_age_utkface_48", "classifier_multitask_utkface_48"):
        assert preset in text  # each result sits on its preset's row
    assert "male" in text and "(years)" in text
    # an uploaded photo in Edit is projected and pivotally tuned on upload (no button), then shown as read (its
    # aligned face), projected and edited; a released slider redraws the edit
    photo = screenshots.drive_edit_photo(page, face)
    assert photo["after_upload"]["width"] == photo["after_slider"]["width"] == 3 * 258 + 2
    assert time.monotonic() - start < 90


def test_sliders_examples_send_to_analyse_and_a_non_image_upload(page, tmp_path):
    """Sliders act when released (no button), example faces load with a click, a generated face goes to Analyse,
    and a file that is not an image gets a sentence, not Pillow's UnidentifiedImageError."""
    notes = tmp_path / "notes.png"
    notes.write_text("shopping list: milk, eggs")
    message = screenshots.drive_not_an_image(page, str(notes))
    assert "the uploaded face image is not a readable image" in message and "UnidentifiedImageError" not in message
    screenshots.drive_generate(page)
    assert screenshots.drive_generate_release(page, faces=4) == {"width": 2 * 258 + 2, "height": 2 * 258 + 2}
    text = screenshots.drive_send_to_analyse(page)
    assert "classifier_multitask_utkface_48" in text and "(years)" in text
    assert screenshots.drive_example(page, "Analyse", "analyse-input")["width"] == 64  # a 64 px example face
