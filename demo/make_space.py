"""Write a folder that Hugging Face Spaces runs as is: the demo's app.py, a requirements.txt that installs
facezoo with the demo's extras only, and a README.md with the Space front matter and every preset's licence.

    python -m demo.make_space OUT                  # facezoo as a wheel built from this checkout, inside OUT
    python -m demo.make_space OUT --facezoo "facezoo[demo] @ git+https://github.com/ORG/facezoo@v0.1.0"

Then upload OUT as a Gradio Space (``huggingface-cli upload ORG/SPACE OUT . --repo-type space``; the wheel, which
holds the presets' weights, goes through Git LFS). Nothing is uploaded from here. The command prints each file's
size and the folder's total, measured on what it wrote.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

from zoo.utils.io import atomic_path

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

APP = '''"""facezoo's demo as a Hugging Face Space (written by python -m demo.make_space)."""

import os

from demo.app import build_demo, launch, warm_up
from demo.core import catalogue

demo = build_demo()

if __name__ == "__main__":
    warm_up(catalogue())
    # Spaces serve the app on 0.0.0.0:7860 (and say so in GRADIO_SERVER_NAME / GRADIO_SERVER_PORT).
    launch(demo, host=os.environ.get("GRADIO_SERVER_NAME", "0.0.0.0"),
           port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")))
'''


def preset_licences() -> list[dict]:
    """[{"preset", "description", "dataset", "licence"}] for every built-in preset, from its metadata."""
    from zoo.registry import list_presets, load_preset_metadata

    rows = []
    for name, description in sorted(list_presets(with_description=True).items()):
        meta = load_preset_metadata(name)
        rows.append({"preset": name, "description": description, "dataset": meta.get("dataset", "?"),
                     "licence": meta.get("licence") or "not recorded: see the dataset's licence"})
    return rows


def readme(rows: list[dict], gradio_version: str) -> str:
    """The Space's README.md: front matter (Gradio SDK, app.py) and the licence of each preset."""
    non_commercial = any("non-commercial" in r["licence"].lower() for r in rows)
    lines = ["---", "title: facezoo", "emoji: 🙂", "colorFrom: gray", "colorTo: blue", "sdk: gradio",
             f"sdk_version: {gradio_version}", "python_version: \"3.11\"", "app_file: app.py", "pinned: false",
             f"license: {'other' if non_commercial else 'apache-2.0'}",
             "short_description: Generate, edit, interpolate, restore and analyse faces with facezoo", "---", "",
             "# facezoo demo", "",
             "Faces from facezoo's pretrained generators, edited along their latent directions, restored by a VAE, "
             "and analysed by its face classifiers. The code is Apache-2.0; **the models carry the terms of the "
             "data they were trained on**:", ""]
    if non_commercial:
        lines += ["**Models trained on UTKFace (and CelebA/FFHQ) are for non-commercial research only.** "
                  "UTKFace's terms: the dataset is available for non-commercial research purposes only, and its "
                  "images' copyright belongs to their original owners (https://susanqq.github.io/UTKFace/).", ""]
    lines += ["| preset | trained on | licence | what it is |", "|---|---|---|---|"]
    lines += [f"| {r['preset']} | {r['dataset']} | {r['licence']} | {r['description']} |" for r in rows]
    lines += ["", "The Remove background tab runs MediaPipe's selfie segmentation network (Copyright 2021 The "
              "MediaPipe Authors, Apache-2.0), shipped in the package as "
              "zoo/segmentation/weights/selfie_segmentation.onnx with its LICENCE and NOTICE.md."]
    lines += ["", "Written by `python -m demo.make_space`; the app is `demo.app.build_demo()` from the facezoo "
              "package that requirements.txt installs (with its `demo` extra only).", ""]
    return "\n".join(lines)


def build_wheel(out: str) -> str:
    """A wheel of this checkout in ``out`` (``pip wheel --no-deps``); returns its file name."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", tmp,
                        ROOT], check=True)
        (name,) = [f for f in os.listdir(tmp) if f.endswith(".whl")]
        shutil.move(os.path.join(tmp, name), os.path.join(out, name))
    return name


def _write(path: str, text: str) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        f.write(text)


def make_space(out: str, facezoo: str | None = None) -> dict:
    """Write app.py, requirements.txt and README.md (and the wheel, unless ``facezoo`` gives a requirement
    line such as ``facezoo[demo] @ git+https://...``) into ``out``; returns {file: path}, the wheel included."""
    import gradio

    os.makedirs(out, exist_ok=True)
    wheel = None
    if facezoo is None:
        wheel = build_wheel(out)
        facezoo = f"./{wheel}[demo]"
    elif "facezoo" not in facezoo:
        raise ValueError(f"--facezoo must be a requirement line that installs facezoo, got {facezoo!r}")
    files = {"app.py": APP, "requirements.txt": f"{facezoo}\n",
             "README.md": readme(preset_licences(), gradio.__version__)}
    for name, text in files.items():
        _write(os.path.join(out, name), text)
    return {name: os.path.join(out, name) for name in [*files, *([wheel] if wheel else [])]}


def megabytes(n: int) -> str:
    """A size in bytes as MB (10^6 bytes), one decimal: what the Space's upload weighs."""
    return f"{n / 1e6:.1f} MB"


def space_size(out: str) -> int:
    """Bytes of every file under ``out``: the Space as it will be uploaded (measured, never assumed)."""
    return sum(os.path.getsize(os.path.join(folder, f)) for folder, _, names in os.walk(out) for f in names)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m demo.make_space", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", help="folder to write the Space into")
    p.add_argument("--facezoo", default=None, help="requirement line for facezoo (default: a wheel of this "
                   "checkout, written into OUT)")
    args = p.parse_args(argv)
    try:
        written = make_space(args.out, args.facezoo)
    except (OSError, ValueError, subprocess.CalledProcessError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for path in written.values():
        print(f"wrote {path} ({megabytes(os.path.getsize(path))})")
    print(f"the Space folder {args.out} holds {megabytes(space_size(args.out))}"
          + (" (the wheel, with the presets' weights, goes through Git LFS)" if args.facezoo is None else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
