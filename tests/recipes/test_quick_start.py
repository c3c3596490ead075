"""README quick-start command 1, shortened: its samples must show faces' structure, not flat grey tiles.

The command is read from the README itself, so the README cannot drift from what this test runs. Only the epoch
count and the output folder are changed (fewer epochs than the README's, so the bar here is lower than "faces").
"""

import os
import shlex

import numpy as np

from tests.conftest import ROOT

README = os.path.join(ROOT, "README.md")


def quick_start_command() -> tuple[str, list[str]]:
    """(module, argv) of the recipe in the README's first quick-start command."""
    text = open(README).read()
    block = text.split("## Quick start", 1)[1].split("```", 2)[1]
    line = next(l for l in block.splitlines() if "-m recipes." in l)
    parts = shlex.split(line.split("&&")[-1])
    i = parts.index("-m")
    return parts[i + 1], parts[i + 2:]


def with_flag(argv: list[str], flag: str, value: str) -> list[str]:
    out = list(argv)
    if flag in out:
        out[out.index(flag) + 1] = value
    else:
        out += [flag, value]
    return out


def tile_spreads(png_path: str, n: int, size: int, pad: int = 2) -> np.ndarray:
    """Standard deviation of the pixel values (0-255) inside each of the ``n`` tiles of a sample grid."""
    from PIL import Image

    grid = np.asarray(Image.open(png_path).convert("RGB"), np.float32)
    cols = int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    scale = grid.shape[0] // (rows * (size + pad) + pad)  # small grids are enlarged by a whole factor
    grid = grid[::scale, ::scale]
    spreads = []
    for i in range(n):
        r, k = divmod(i, cols)
        y, x = pad + r * (size + pad), pad + k * (size + pad)
        spreads.append(grid[y:y + size, x:x + size].std())
    return np.array(spreads)


def test_quick_start_command_is_a_recipe_with_its_flags():
    module, argv = quick_start_command()
    assert module == "recipes.celeba_dcgan"
    assert argv[argv.index("--data") + 1] == "synthetic"


def test_shortened_quick_start_gives_samples_with_structure(tmp_path, capsys):
    import importlib

    module, argv = quick_start_command()
    argv = with_flag(with_flag(argv, "--epochs", "2"), "--out", str(tmp_path))
    argv = with_flag(argv, "--num-samples", "16")
    assert importlib.import_module(module).main(argv) == 0
    run = os.path.join(tmp_path, os.listdir(tmp_path)[0])
    assert f"samples: {os.path.join(run, 'samples', 'latest.png')}" in capsys.readouterr().out  # says where
    size = int(argv[argv.index("--image-size") + 1])
    spreads = tile_spreads(os.path.join(run, "samples", "latest.png"), 16, size)
    from zoo.data.synthetic import render_faces

    real = np.median([face.std() for face in np.asarray(render_faces(0, 64, size, 0).images, np.float32)])
    # Flat grey tiles (what the quick start wrote before DCGAN's batch norm followed Radford et al.) spread 2-6
    # of 255, and this shortened run 11-19 with it (38 after); the training faces themselves spread about 54.
    assert np.median(spreads) > 0.5 * real, (spreads.round(1), real)
