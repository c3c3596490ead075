"""python -m zoo.data.preview: the first images a run of the same flags trains on, and the discriminator's view."""

import numpy as np

from zoo.data import preview

SYNTH = ["--data", "synthetic", "--image-size", "16", "--num-synthetic", "40", "--batch-size", "8"]


def _cfg(*extra):
    from recipes.celeba_dcgan import Config
    from zoo.training.cli import parse_config

    return parse_config(Config, [*SYNTH, *extra], "test")[0]


def test_the_preview_is_the_start_of_the_runs_first_batch():
    """The run batches 8 images in its seeded order; the preview's first 5 are that batch's first 5."""
    from zoo.training.setup import image_dataset_fn, load_training_source

    cfg = _cfg("--seed", "3")
    shown, _ = preview.first_batch(cfg, 5)
    batch = next(iter(image_dataset_fn(load_training_source(cfg), cfg)(0)))
    run = np.clip(np.round((np.asarray(batch) + 1) * 127.5), 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(shown, run[:5])
    other, _ = preview.first_batch(_cfg("--seed", "4"), 5)
    assert not np.array_equal(other, shown)  # another seed, another order


def test_ada_at_zero_is_the_identity_and_diffaugment_changes_the_images():
    images, _ = preview.first_batch(_cfg(), 6)
    np.testing.assert_array_equal(preview.augmented(_cfg("--augment", "ada"), images, 0.0), images)
    assert not np.array_equal(preview.augmented(_cfg("--augment", "diffaugment"), images, 0.5), images)


def test_the_command_writes_both_rows_and_refuses_an_unknown_recipe(tmp_path, capsys):
    out = str(tmp_path / "p.png")
    assert preview.main(["--recipe", "celeba_dcgan", "--out", out, "--count", "6", "--", *SYNTH,
                         "--augment", "diffaugment"]) == 0
    from PIL import Image

    assert Image.open(out).size[0] > 100
    assert preview.main(["--recipe", "no_such", "--out", out]) == 2
    assert "not a training recipe" in capsys.readouterr().err
