"""docs/export.md's parity table comes from docs/data/export_parity.json, and a retrained preset makes it fail."""

from __future__ import annotations

import json
import os

from docs import generate
from tests.conftest import ROOT


def _preset(folder, name, sha):
    os.makedirs(folder / name, exist_ok=True)
    (folder / name / "metadata.json").write_text(json.dumps({"weights_sha256": sha}))


def _entry(sha, name, onnx=2.98e-07, error=None):
    entry = {"weights_sha256": sha, "command": f"python -m bench.export_parity {name}",
             "measured": "2026-12-06 19:40 UTC", "class_name": "DCGANGenerator",
             "versions": {"onnxruntime": "1.2", "tensorflow": "2.21.0"}}
    if error:
        return {**entry, "error": error}
    return {**entry, "parts": [{"part": "generator", "kind": "generator", "class_name": "DCGANGenerator",
                                "outputs": ["images"],
                                "checked_on": ["8 random latents N(0, 1)", "1 random latent N(0, 1)"],
                                "onnx": {"max_abs_diff": onnx, "ok": onnx <= 1e-4},
                                "savedmodel": {"max_abs_diff": 0.0, "ok": True}}]}


def _setup(tmp_path, presets):
    docs = tmp_path / "docs"
    (docs / "data").mkdir(parents=True)
    (docs / "data" / "export_parity.json").write_text(json.dumps({"presets": presets}))
    (docs / "export.md").write_text("# Export\n\n<!-- generated:export-parity -->\n<!-- /generated -->\n")
    return docs, ["--docs", str(docs), "--presets", str(tmp_path / "presets")]


def test_the_table_has_a_row_per_measured_part_and_names_the_presets_not_measured(tmp_path):
    for name in ("dcgan_utkface_64", "conv_vae_utkface_48", "wgan_gp_utkface_64"):
        _preset(tmp_path / "presets", name, "a" * 64)
    docs, args = _setup(tmp_path, {"dcgan_utkface_64": _entry("a" * 64, "dcgan_utkface_64"),
                                   "wgan_gp_utkface_64": _entry("a" * 64, "wgan_gp_utkface_64", onnx=3e-4)})
    assert generate.main(args) == 0
    page = (docs / "export.md").read_text()
    assert ("| `dcgan_utkface_64` | generator (`DCGANGenerator`: images) | random latents N(0, 1) (batch 8, 1) | "
            "2.98e-07 | 0 |") in page
    assert "| 0.0003 (over the limit) | 0 |" in page
    assert "Not measured: `conv_vae_utkface_48` (`python -m bench.export_parity conv_vae_utkface_48`" in page
    assert "2026-12-06 19:40 UTC" in page and "onnxruntime 1.2, tensorflow 2.21.0" in page


def test_a_failed_export_is_a_row_without_numbers(tmp_path):
    _preset(tmp_path / "presets", "progan_utkface_32", "b" * 64)
    docs, args = _setup(tmp_path, {"progan_utkface_32": _entry("b" * 64, "progan_utkface_32", error="ExportError: x")})
    assert generate.main(args) == 0
    assert "| `progan_utkface_32` | export failed: ExportError: x | | not measured | not measured |" in \
        (docs / "export.md").read_text()


def test_a_preset_retrained_after_its_measurement_fails_naming_the_command(tmp_path, capsys):
    _preset(tmp_path / "presets", "dcgan_utkface_64", "a" * 64)
    docs, args = _setup(tmp_path, {"dcgan_utkface_64": _entry("a" * 64, "dcgan_utkface_64")})
    assert generate.main(args) == 0
    _preset(tmp_path / "presets", "dcgan_utkface_64", "c" * 64)  # retrained
    before = (docs / "export.md").read_text()
    capsys.readouterr()
    assert generate.main(args) == 2
    err = capsys.readouterr().err
    assert "dcgan_utkface_64" in err and "`python -m bench.export_parity dcgan_utkface_64`" in err
    assert len(err.strip().splitlines()) == 1 and (docs / "export.md").read_text() == before


def test_a_missing_parity_file_or_a_gone_preset_is_an_error(tmp_path, capsys):
    _preset(tmp_path / "presets", "dcgan_utkface_64", "a" * 64)
    docs, args = _setup(tmp_path, {"old_preset": _entry("a" * 64, "old_preset")})
    assert generate.main(args) == 2 and "old_preset, which is not a preset" in capsys.readouterr().err
    os.remove(docs / "data" / "export_parity.json")
    assert generate.main(args) == 2 and "python -m bench.export_parity" in capsys.readouterr().err


def test_the_shipped_page_renders_the_parity_file_with_every_measured_preset_current():
    text = open(os.path.join(ROOT, "docs", "export.md"), encoding="utf-8").read()
    assert "<!-- generated:export-parity -->" in text
    with open(os.path.join(ROOT, "docs", "data", "export_parity.json"), encoding="utf-8") as f:
        measured = json.load(f)["presets"]
    table = generate.render_export_parity(os.path.join(ROOT, "zoo", "presets"), os.path.join(ROOT, "docs"))
    for name in measured:
        assert f"| `{name}` |" in table
