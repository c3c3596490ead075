"""The page's wiring, through Gradio's Python API: non-image uploads, sliders that act on release beside their
result, clickable examples, and Generate's "Send to Analyse"."""

import os
import re

import numpy as np
import pytest

from demo import app, core
from demo.tabs import generate

gr = pytest.importorskip("gradio")


@pytest.fixture(scope="module")
def page(generator_preset, vae_presets, classifier_presets):
    return app.build_demo([generator_preset, *vae_presets, *classifier_presets])


def _fns(demo):
    return list(demo.fns.values()) if isinstance(demo.fns, dict) else list(demo.fns)


def _by_id(demo, elem_id):
    (block,) = [b for b in demo.blocks.values() if getattr(b, "elem_id", None) == elem_id]
    return block


def _ancestors(block):
    while block is not None:
        yield block
        block = getattr(block, "parent", None)


def _tab(block):
    return next(b for b in _ancestors(block) if isinstance(b, gr.Tab))


def test_a_non_image_upload_is_refused_with_a_sentence(page, tmp_path):
    """Gradio's own preprocessing opened every upload with Pillow and raised UnidentifiedImageError in the page."""
    from gradio.data_classes import ImageData

    notes = tmp_path / "notes.png"
    notes.write_text("shopping list: milk, eggs")
    uploads = [b for b in page.blocks.values() if isinstance(b, gr.Image) and b.type == "filepath"]
    assert len(uploads) == 6
    for widget in uploads:
        path = widget.preprocess(ImageData(path=str(notes), orig_name="notes.png"))
        assert path == str(notes)
        with pytest.raises(core.DemoError, match="the uploaded face image is not a readable image"):
            core.read_upload(path)
    with pytest.raises(gr.Error, match="not a readable image"):  # as the Analyse button shows it
        (fn,) = [f for f in _fns(page) if _by_id(page, "analyse-input") in f.inputs and f.targets[0][1] == "click"]
        fn.fn(str(notes), [])


# Sliders that do not redraw on release: a new projection or pivotal tuning (seconds) per move, and the
# style-mixing crossover (its own button's result).
NOT_ON_RELEASE = ("projection steps", "pivotal tuning steps (0: off; keeps the person, not for diffusion)",
                  "crossover layer (A before, B from it)")


@pytest.mark.parametrize("tab, outputs", [("Generate", ["generate-output"]), ("Edit", ["edit-output"]),
                                          ("Restore", ["restore-output"]),
                                          ("Interpolate", ["interpolate-output", "matrix-output"])])
def test_every_slider_redraws_its_result_on_release(page, tab, outputs):
    outs = [_by_id(page, o) for o in outputs]
    sliders = [b for b in page.blocks.values() if isinstance(b, gr.Slider) and _tab(b).label == tab
               and b.label not in NOT_ON_RELEASE]
    released = {target for f in _fns(page) if any(o in f.outputs for o in outs)
                for target, event in f.targets if event == "release"}
    assert len(sliders) >= 3 and all(s._id in released for s in sliders), [s.label for s in sliders]


@pytest.mark.parametrize("tab, output", [("Generate", "generate-output"), ("Edit", "edit-output")])
def test_the_result_sits_beside_its_sliders(page, tab, output):
    out = _by_id(page, output)
    assert _tab(out).label == tab
    sliders = [b for b in page.blocks.values() if isinstance(b, gr.Slider) and _tab(b).label == tab
               and b.label not in NOT_ON_RELEASE]
    # one Row holds the result and the sliders, so the result shows without scrolling past the controls
    row = next(b for b in _ancestors(out) if isinstance(b, gr.Row))
    beside = sliders if tab == "Generate" else [s for s in sliders if s.minimum < 0]  # Edit: PCA and directions
    assert len(beside) >= 3 and all(row in list(_ancestors(s)) for s in beside)


def test_background_sigma_redraws_on_release_and_shows_the_cutout(page):
    cutout = _by_id(page, "background-cutout")
    sigma = next(b for b in page.blocks.values() if isinstance(b, gr.Slider) and (b.label or "").startswith("blur sigma"))
    assert any(cutout in f.outputs and (sigma._id, "release") in f.targets for f in _fns(page))
    assert cutout.image_mode == "RGBA" and cutout.format == "png"  # the transparency survives display and download


def test_upload_widgets_offer_shipped_example_faces(page):
    faces = core.example_faces()
    assert len(faces) >= 3
    for path in faces:
        name = os.path.basename(path)
        assert not re.match(r"\d+_\d_\d_\d+", name)  # UTKFace's file names: its photos may not be redistributed
        image = core.read_upload(path)
        assert image.shape[-1] == 3 and min(image.shape[:2]) >= 32 and image.std() > 10  # a picture, not a blank
    assert "not photos of people" in open(os.path.join(core.EXAMPLES_DIR, "README.md")).read()
    datasets = [b for b in page.blocks.values() if isinstance(b, gr.Dataset)]
    with_examples = {c.elem_id for d in datasets for c in d._components}
    assert {"analyse-input", "background-input", "restore-input", "edit-photo"} <= with_examples


def test_send_to_analyse_puts_the_first_generated_face_in_the_analyse_input(page, generator_preset):
    send, face = _by_id(page, "generate-send"), _by_id(page, "analyse-input")
    (fn,) = [f for f in _fns(page) if (send._id, "click") in f.targets]
    assert face in fn.outputs and any(isinstance(o, gr.Tabs) for o in fn.outputs)
    path, tabs = fn.fn(generator_preset, 3, 1.0)
    assert tabs.selected == "analyse"  # the Analyse tab opens
    grid = generate.generate(generator_preset, seed=3, count=2, scale=1)
    np.testing.assert_array_equal(core.read_upload(path), grid[2:18, 2:18])  # face 1 of the grid, not enlarged
    assert face.preprocess(gr.data_classes.ImageData(path=path, orig_name="x.png")) == path
    with pytest.raises(gr.Error, match="seed must be"):
        fn.fn(generator_preset, -1, 1.0)
