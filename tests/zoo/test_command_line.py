"""What a new user meets first: `python -m zoo`, quiet commands, and examples that work as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pytest

import zoo

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TF_STARTUP = ("absl::InitializeLog", "oneDNN custom operations", "cuInit", "cuda drivers")


def _quick_start() -> str:
    """The README's first Python snippet (pretrained models by name)."""
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    return re.search(r"```python\n(import numpy as np\nimport zoo\n.*?)```", text, re.S).group(1)


def test_readme_quick_start_works_for_a_generator_of_any_latent_size(tmp_path):
    from zoo.models.dcgan import DCGANGenerator

    g = DCGANGenerator(latent_dim=8, image_size=16, base_filters=4)
    g.build((None, 8))
    path = zoo.save_to_preset(g, str(tmp_path / "g"), {"dataset": "synthetic"})
    code = _quick_start().replace('"dcgan_utkface_64"', repr(path))
    assert repr(path) in code, "the README snippet no longer loads dcgan_utkface_64; update this test"
    scope = {}
    exec(compile(code, "README.md", "exec"), scope)
    assert np.asarray(scope["images"]).shape == (16, 16, 16, 3)


def test_evaluate_help_examples_name_presets_that_exist():
    from zoo import evaluate

    named = re.findall(r"--extractor (\S+)", evaluate.__doc__)
    assert named, "the evaluate docstring has no --extractor example"
    for name in named:
        assert name in zoo.list_presets(), f"zoo.evaluate's help names the preset {name!r}, which does not exist"


def test_python_m_zoo_lists_presets_and_recipes():
    from zoo.__main__ import preset_rows, recipe_lines, table

    rows = preset_rows()
    assert [r["preset"] for r in rows] == zoo.list_presets()
    lines = table(rows, ["preset", "model", "size", "data", "params", "description"], 120)
    assert lines[0].split() == ["preset", "model", "size", "data", "params", "description"]
    assert all(len(line) <= 120 for line in lines)
    recipes = dict(recipe_lines())
    assert "celeba_dcgan" in recipes and "DCGAN" in recipes["celeba_dcgan"] and "__init__" not in recipes


@pytest.mark.slow
def test_python_m_zoo_hides_tensorflow_start_up_lines_unless_verbose():
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "FACEZOO_VERBOSE")}
    quiet = subprocess.run([sys.executable, "-m", "zoo", "--width", "100"], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=300)
    assert quiet.returncode == 0, quiet.stderr[-2000:]
    assert "Presets (" in quiet.stdout and "Recipes (" in quiet.stdout
    assert not [line for line in quiet.stderr.splitlines() if any(s in line for s in TF_STARTUP)], quiet.stderr
    loud = subprocess.run([sys.executable, "-m", "zoo", "--width", "100"], cwd=ROOT,
                          env={**env, "FACEZOO_VERBOSE": "1"}, capture_output=True, text=True, timeout=300)
    assert loud.returncode == 0 and quiet.stdout == loud.stdout
    # The contrast shows that there were lines to hide (this TensorFlow build prints them on start-up).
    assert any(s in loud.stderr for s in TF_STARTUP), loud.stderr[-2000:]


def test_python_m_zoo_into_a_pipe_closed_early_is_not_an_error():
    # `python -m zoo | head -1` printed a BrokenPipeError traceback. Here the reader is gone before the first line.
    import os
    import subprocess
    import sys

    read, write = os.pipe()
    os.close(read)
    try:
        proc = subprocess.run([sys.executable, "-m", "zoo", "--width", "80"], stdout=write, stderr=subprocess.PIPE,
                              timeout=120)
    finally:
        os.close(write)
    err = proc.stderr.decode()
    assert proc.returncode == 0 and "BrokenPipeError" not in err and "Traceback" not in err
