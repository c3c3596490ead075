"""Bad input to any command ends in one sentence on stderr and exit code 2, never a traceback (issue 25).

Each case runs the real command in a subprocess. Cases marked ``FAST`` must be refused while the arguments are
checked, before anything imports TensorFlow: the runner records whether it was imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Runs ``python -m MODULE ARGS`` and writes whether TensorFlow was imported to $IMPORTED_TF, also on SystemExit.
RUNNER = """
import os, runpy, sys
module, sys.argv = sys.argv[1], ["-m", *sys.argv[2:]]  # "-m" while packages import, as under python -m
try:
    runpy.run_module(module, run_name="__main__", alter_sys=True)
finally:
    with open(os.environ["IMPORTED_TF"], "w") as f:
        f.write(str("tensorflow" in sys.modules))
"""
FAST, SLOW = True, False
DCGAN = ["recipes.celeba_dcgan", "--data", "synthetic", "--num-synthetic", "16", "--image-size", "8",
         "--batch-size", "4", "--base-filters", "4", "--latent-dim", "8", "--num-samples", "4", "--steps", "1"]
STYLEGAN = ["recipes.ffhq_stylegan", "--data", "synthetic", "--num-synthetic", "16", "--images-per-level", "8",
            "--batch-size", "4"]


def run(args, tmp_path, env=None):
    """(exit code, stderr, whether TensorFlow was imported) of ``python -m args[0] args[1:]`` in the repo."""
    mark = tmp_path / "imported_tf"
    env = {**os.environ, "IMPORTED_TF": str(mark), **(env or {})}
    for name in ("FACEZOO_VERBOSE", "TF_CPP_MIN_LOG_LEVEL"):  # as a user runs it (conftest sets the log level)
        env.pop(name, None)
    result = subprocess.run([sys.executable, "-c", RUNNER, *args], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=300)
    return result.returncode, result.stderr, mark.read_text() == "True"


def assert_one_sentence(code, err, expected):
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and "Traceback" not in err, err[-3000:]
    assert len(lines) == 1 and "error:" in lines[0], err[-3000:]
    assert expected in lines[0], lines[0]


RECIPE_CASES = [  # (command and flags, a part of the expected sentence, refused before TensorFlow)
    (DCGAN + ["--batch-size", "0"], "--batch-size 0: must be at least 1", FAST),
    (DCGAN + ["--image-size", "0"], "--image-size 0", FAST),
    (DCGAN + ["--image-size=-16"], "--image-size -16", FAST),
    (DCGAN + ["--image-size", "17"], "DCGAN image_size must be 4 * 2^k", FAST),  # the model's own rule
    (["recipes.celeba_wgan_gp", "--data", "synthetic", "--image-size", "48"], "image_size must be 4 * 2^k", FAST),
    (["recipes.celeba_gan", "--data", "synthetic", "--image-size", "40"], "a positive multiple of 16", FAST),
    (["recipes.celeba_vae", "--data", "synthetic", "--image-size", "40"], "a positive multiple of 16", FAST),
    (["recipes.celeba_vae_gan", "--data", "synthetic", "--image-size", "40"], "a positive multiple of 16", FAST),
    (["recipes.utkface_vae", "--data", "synthetic", "--image-size", "20"], "a positive multiple of 8", FAST),
    (DCGAN + ["--base-filters", "0"], "--base-filters 0", FAST),
    (DCGAN + ["--seed=-1"], "--seed -1", FAST),
    (DCGAN + ["--seed", str(2**32)], "--seed 4294967296", FAST),
    (DCGAN + ["--num-samples", "0"], "--num-samples 0", FAST),
    (DCGAN + ["--num-synthetic", "0"], "--num-synthetic 0", FAST),  # hung
    (DCGAN + ["--num-synthetic", "1000000", "--image-size", "1024"], "GiB", FAST),  # tried to allocate TiBs
    (DCGAN + ["--num-synthetic", "16", "--batch-size", "32"], "larger than the synthetic set", FAST),
    (DCGAN + ["--epochs=-1"], "--epochs -1", FAST),
    (DCGAN + ["--steps=-1"], "--steps -1", FAST),
    (DCGAN + ["--learning-rate=-0.1"], "--learning-rate -0.1: must be above 0", FAST),
    (DCGAN + ["--learning-rate", "nan"], "must be a finite number", FAST),
    (DCGAN + ["--time-budget", "inf"], "must be a finite number", FAST),
    (DCGAN + ["--latent-dim", "0"], "--latent-dim 0", FAST),
    (DCGAN + ["--beta-2", "1"], "--beta-2 1.0: must be at least 0 and below 1", FAST),
    (["recipes.celeba_wgan_gp", "--n-critic", "0", "--data", "synthetic"], "--n-critic 0", FAST),
    (STYLEGAN + ["--resolutions", "4,7"], "--resolutions 4,7: must double from 4", FAST),
    (STYLEGAN + ["--batch-size", "0", "--resolutions", "4,8,16", "--batch-sizes", "4,4"], "2 values for 3 levels",
     FAST),
    (STYLEGAN + ["--batch-size", "0", "--resolutions", "4,8", "--batch-sizes", "4,4,4"], "3 values for 2 levels",
     FAST),
    (STYLEGAN + ["--resolutions", "4,8", "--style-mixing-prob", "1.5"], "--style-mixing-prob 1.5", FAST),
]


@pytest.mark.parametrize("args,expected,fast", RECIPE_CASES, ids=[" ".join(c[0][-2:]) for c in RECIPE_CASES])
def test_a_recipe_refuses_a_bad_value_in_one_sentence(args, expected, fast, tmp_path):
    code, err, imported_tf = run([*args, "--out", str(tmp_path / "runs")], tmp_path)
    assert_one_sentence(code, err, expected)
    if fast:
        assert not imported_tf, "refused only after importing TensorFlow"
    assert not os.path.isdir(tmp_path / "runs") or not os.listdir(tmp_path / "runs")  # no run folder left


def test_a_batch_larger_than_a_real_training_set_is_refused(utkface_dir, tmp_path):
    """12 readable UTKFace files and a batch of 13: every step would repeat images (it trained silently)."""
    args = [*DCGAN[:1], "--data", "utkface", "--data-dir", utkface_dir, "--image-size", "8", "--batch-size", "13",
            "--base-filters", "4", "--steps", "1", "--out", str(tmp_path / "runs")]
    code, err, _ = run(args, tmp_path)
    last = [ln for ln in err.splitlines() if ln.strip()][-1]  # after the loader's warning about the bad files
    assert code == 2 and "Traceback" not in err and "error:" in last, err[-3000:]
    assert "a batch of 13 images is larger than the training set (utkface), 12 images" in last, last
    assert not os.listdir(tmp_path / "runs")  # the unused run folder is removed


def test_resume_refuses_a_new_learning_rate_the_checkpoint_would_overwrite(tmp_path):
    """The restored optimizer keeps the run's rate while config.json would record the new one: refused, and
    the stored config is left as it was. The same rate, or no flag, is accepted (here: --dry-run)."""
    run_dir = tmp_path / "runs" / "00000-celeba_dcgan"
    run_dir.mkdir(parents=True)
    config = {"data": "synthetic", "num_synthetic": 16, "image_size": 8, "batch_size": 4, "learning_rate": 2e-4}
    (run_dir / "config.json").write_text(json.dumps(config))
    code, err, imported_tf = run(["recipes.celeba_dcgan", "--resume", str(run_dir), "--learning-rate", "0.001"],
                                 tmp_path)
    assert_one_sentence(code, err, "--learning-rate 0.001 with --resume: the checkpoint restores the run's 0.0002")
    assert not imported_tf and json.loads((run_dir / "config.json").read_text()) == config
    from recipes.celeba_dcgan import Config
    from zoo.training.recipe import _resume_conflict

    for rate, passed in ((2e-4, {"learning_rate", "steps"}), (1e-3, {"steps"})):  # the same rate, or no flag
        assert _resume_conflict(config, Config(learning_rate=rate), passed) is None


LATENT = ["zoo.latent"]
G = ["--model", "dcgan_utkface_64"]


def _latent_cases(tmp):
    pickle, keyless, a_file = tmp / "pickled.npy", tmp / "keyless.npz", tmp / "a_file"
    import numpy as np

    np.save(pickle, np.array([{"latent": 1}], dtype=object), allow_pickle=True)
    np.savez(keyless, z=np.zeros(100))
    a_file.write_text("x")
    out = ["--out", str(tmp / "out")]
    return [  # (args, expected, fast)
        (["attribute", *G, *out, "--name", "../../x"], "argument --name: '../../x': expected letters, digits and _ - . < > = only, no path", FAST),
        (["directions", *G, *out, "--encoder", "vae_encoder_utkface_64", "--tasks", "../x@classifier_gender_utkface_48"],
         "--tasks '../x@classifier_gender_utkface_48': the label '../x'", FAST),
        (["directions", *G, *out, "--tasks", "ethnicity:99@classifier_ethnicity_utkface_48"],
         "the task 'ethnicity:99': expected gender, age or ethnicity:K", FAST),
        (["scatter", *out, "--encoder", "vae_encoder_utkface_64", "--label", "a/b"], "argument --label", FAST),
        (["edit", *G, *out, "--directions", "dcgan_utkface_64", "--direction", "../../x"], "argument --direction", FAST),
        (["interpolate", *G, *out, "--steps", "10000000"], "argument --steps: 10000000: expected a value from 2", FAST),
        (["grid", *G, *out, "--steps", "0"], "argument --steps: 0", FAST),
        (["grid", *G, *out, "--samples", "0"], "argument --samples: 0", FAST),
        (["grid", *G, *out, "--components", "1,x"], "argument --components: 'x' is not a whole number", FAST),
        (["grid", *G, *out, "--components=-1"], "argument --components: -1", FAST),
        (["grid", *G, *out, "--at=-3"], "argument --at: -3", FAST),
        (["grid", *G, *out, "--layers", "4:2"], "argument --layers: '4:2': expected START:STOP", FAST),
        (["grid", *G, *out, "--span", "nan"], "argument --span: nan: expected a finite number", FAST),
        (["attribute", *G, *out, "--max-intensity", "inf"], "argument --max-intensity: inf", FAST),
        (["attribute", *G, *out, "--chosen-fraction", "0"], "argument --chosen-fraction: 0.0: expected a value "
         "above 0", FAST),
        (["project", *G, *out, "--image", str(a_file), "--lr", "nan"], "argument --lr: nan", FAST),
        (["restore", *G, *out, "--noise-std", "abc"], "argument --noise-std: 'abc' is not a number", FAST),
        (["restore", *G, *out, "--noise-std=-0.1"], "argument --noise-std: -0.1", FAST),
        (["restore", *G, *out, "--filter-size", "0"], "argument --filter-size: 0", FAST),
        (["interpolate", *G, *out, "--seeds", "1,a"], "argument --seeds", FAST),
        (["grid", "--model", "no_such_preset", *out], "--model 'no_such_preset': unknown preset", FAST),
        (["grid", *G, "--out", str(a_file)], "is a file, expected a folder", FAST),
        (["edit", *G, *out, "--directions", "dcgan_utkface_64", "--direction", "gender", "--latent", str(pickle)],
         "not a .npz of arrays", FAST),
        (["edit", *G, *out, "--directions", "dcgan_utkface_64", "--direction", "gender", "--latent", str(keyless)],
         "no 'latent' array", FAST),
        (["edit", *G, *out, "--directions", "dcgan_utkface_64", "--direction", "gender", "--latent",
          str(tmp / "missing.npz")], "no such file", FAST),
        (["grid", "--model", "classifier_gender_utkface_48", *out], "is a FaceClassifier, not a generator", SLOW),
    ]


def _other_cases(tmp):
    a_file = tmp / "a_file"
    a_file.write_text("x")
    return [
        (["zoo.evaluate", "--fake", "dcgan_utkface_64", "--resolution=-5"], "argument --resolution: -5", FAST),
        (["zoo.evaluate", "--fake", "dcgan_utkface_64", "--resolution", "100000"], "argument --resolution", FAST),
        (["zoo.evaluate", "--fake", "no_such_preset"], "--fake 'no_such_preset'", FAST),
        (["zoo.evaluate", "--fake", "dcgan_utkface_64", "--out", str(a_file / "r.json")], "is a file", FAST),
        (["zoo.evaluate", "--fake", "dcgan_utkface_64", "--kid-subset-size", "1"], "--kid-subset-size: 1", FAST),
        (["export", "--preset", "no_such_preset", "--format", "savedmodel", "--out", str(tmp / "e")],
         "--preset 'no_such_preset'", FAST),
        (["export", "--preset", "dcgan_utkface_64", "--format", "savedmodel", "--out", str(a_file)],
         "--out", FAST),
        (["export", "--run", str(tmp / "no_run"), "--format", "savedmodel", "--out", str(tmp / "e")],
         "--run", FAST),
    ]


@pytest.mark.parametrize("index", range(26))
def test_zoo_latent_refuses_bad_input_in_one_sentence(index, tmp_path):
    args, expected, fast = _latent_cases(tmp_path)[index]
    code, err, imported_tf = run([*LATENT, *args], tmp_path)
    assert_one_sentence(code, err, expected)
    assert not (fast and imported_tf), "refused only after importing TensorFlow"
    assert not os.path.exists(tmp_path / "x.png") and not os.path.exists(tmp_path / "edit_..")


@pytest.mark.parametrize("index", range(8))
def test_evaluate_and_export_refuse_bad_input_in_one_sentence(index, tmp_path):
    args, expected, fast = _other_cases(tmp_path)[index]
    code, err, imported_tf = run(args, tmp_path)
    assert_one_sentence(code, err, expected)
    assert not (fast and imported_tf), "refused only after importing TensorFlow"


def test_a_spread_that_is_float_noise_prints_as_0():
    """KID over subsets that are the whole set: every subset gives the same value up to rounding (3.9e-16)."""
    from zoo.evaluate import _cell

    assert _cell({"mean": 0.0123, "std": 3.91e-16, "values": [0.0123], "std_over": "subsets"}) == "0.0123 ± 0"
    assert _cell({"mean": 0.0123, "std": 4.2e-4, "values": [0.0123], "std_over": "subsets"}) == "0.0123 ± 4.20e-04"


def test_python_m_recipes_lists_the_recipes(tmp_path):
    result = subprocess.run([sys.executable, "-m", "recipes", "--width", "200"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    names = sorted(f[:-3] for f in os.listdir(os.path.join(ROOT, "recipes"))
                   if f.endswith(".py") and not f.startswith("_"))
    listed = [ln.split()[0] for ln in result.stdout.splitlines()[1:] if ln.strip()]
    assert listed == names and "celeba_dcgan" in names


# -- remove_background: a bad image is a counted skip, a bad option a sentence ----------------------------------
def _png_faces(folder, count=2, size=24):
    from PIL import Image

    from zoo.data.synthetic import render_faces

    os.makedirs(folder, exist_ok=True)
    for i, im in enumerate(render_faces(0, count, size, seed=5).images):
        Image.fromarray(im).save(os.path.join(folder, f"f{i}.png"))


def test_an_image_over_the_pixel_limit_is_a_counted_skip_not_the_end_of_the_folder(tmp_path, monkeypatch):
    """Pillow's DecompressionBombError (over twice MAX_IMAGE_PIXELS) aborted the whole folder with a traceback."""
    from PIL import Image

    from zoo.data.remove_background import remove_background

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))  # --model auto: the shipped segmenter
    monkeypatch.setenv("REMBG_HOME", str(tmp_path / "xdg" / "rembg"))
    src = str(tmp_path / "faces")
    _png_faces(src)
    Image.new("RGB", (40, 40), (90, 90, 90)).save(os.path.join(src, "huge.png"))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 700)  # 24 x 24 = 576 passes, 40 x 40 = 1600 > 2 x 700
    m = remove_background(src, str(tmp_path / "out"), variants=("grey",), progress=False)
    assert m["counts"] == {"images": 3, "already_done": 0, "written": 2, "corrupt": 1} and m["corrupt"] == ["huge.png"]


def test_a_16_bit_greyscale_photo_is_read_as_its_grey_levels_not_white(tmp_path):
    from PIL import Image

    from zoo.data.remove_background import read_rgb

    levels = (np.arange(64, dtype=np.uint16).reshape(8, 8) * 1000)  # 0 .. 63000 of 65535
    path = str(tmp_path / "grey16.png")
    Image.fromarray(levels).save(path)
    assert Image.open(path).mode.startswith("I")  # stored as 16-bit
    rgb = read_rgb(path)
    assert rgb.dtype == np.uint8 and rgb.shape == (8, 8, 3)
    np.testing.assert_array_equal(rgb[..., 0], np.round(levels / 257.0).astype(np.uint8))
    assert (rgb[..., 0] == rgb[..., 2]).all() and rgb.min() == 0 and rgb.max() == 245


@pytest.mark.parametrize("sigma", ["-0.1", "0", "nan", "2"])
def test_remove_background_refuses_a_blur_sigma_without_meaning(sigma, tmp_path, capsys):
    from zoo.data.remove_background import main

    (tmp_path / "faces").mkdir()
    with pytest.raises(SystemExit) as e:
        main([str(tmp_path / "faces"), str(tmp_path / "out"), f"--blur-sigma={sigma}"])
    assert_one_sentence(e.value.code, capsys.readouterr().err, "argument --blur-sigma")
    assert not os.path.exists(tmp_path / "out")
