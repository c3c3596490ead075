"""bench.export_parity: presets chosen, entries merged, and a tiny preset measured through the real exporter."""

from __future__ import annotations

import json
import os

import pytest

from bench import export_parity


def test_the_default_skips_the_conv_vae_pair_unless_named_and_unknown_presets_are_refused(tmp_path):
    for name in ("conv_vae_utkface_48", "conv_vae_utkface_48_encoder", "dcgan_utkface_64"):
        os.makedirs(tmp_path / name)
        (tmp_path / name / "metadata.json").write_text("{}")
    assert export_parity.chosen_presets([], str(tmp_path)) == ["dcgan_utkface_64"]
    assert export_parity.chosen_presets(["conv_vae_utkface_48"], str(tmp_path)) == ["conv_vae_utkface_48"]
    with pytest.raises(ValueError, match="nope: not a preset"):
        export_parity.chosen_presets(["nope"], str(tmp_path))


def test_an_unknown_preset_exits_2_before_anything_is_written(tmp_path, capsys):
    out = tmp_path / "parity.json"
    assert export_parity.main(["no_such_preset", "--out", str(out)]) == 2
    assert "no_such_preset: not a preset" in capsys.readouterr().err and not out.exists()


def test_merge_replaces_one_preset_and_keeps_the_others(tmp_path):
    path = str(tmp_path / "data" / "parity.json")
    export_parity.merge(path, "b", {"weights_sha256": "1"})
    export_parity.merge(path, "a", {"weights_sha256": "2"})
    export_parity.merge(path, "b", {"weights_sha256": "3"})
    data = json.loads(open(path).read())
    assert data["presets"] == {"a": {"weights_sha256": "2"}, "b": {"weights_sha256": "3"}}


def test_a_tiny_preset_is_measured_in_both_formats_with_its_sha(tmp_path, utkface_dir):
    from tests.export.conftest import build
    from zoo.registry import save_to_preset

    save_to_preset(build("dcgan_generator"), str(tmp_path / "presets" / "tiny"), {"dataset": "synthetic"})
    entry = export_parity.measure("tiny", str(tmp_path / "presets"), utkface_dir, str(tmp_path / "work"),
                                  log=lambda line: None)
    meta = json.loads((tmp_path / "presets" / "tiny" / "metadata.json").read_text())
    assert entry["weights_sha256"] == meta["weights_sha256"] and "error" not in entry
    (part,) = entry["parts"]
    assert part["part"] == "generator" and part["outputs"] == ["images"]
    assert part["checked_on"] == ["8 random latents N(0, 1)", "1 random latent N(0, 1)"]
    for fmt in ("onnx", "savedmodel"):
        assert part[fmt]["ok"] and 0 <= part[fmt]["max_abs_diff"] < 1e-4
    assert entry["command"] == "python -m bench.export_parity tiny" and not export_parity.failed(entry)


def test_a_preset_that_cannot_be_loaded_is_recorded_as_an_error_not_a_number(tmp_path):
    os.makedirs(tmp_path / "broken")
    (tmp_path / "broken" / "metadata.json").write_text(json.dumps({"weights_sha256": "x"}))
    entry = export_parity.measure("broken", str(tmp_path), None, str(tmp_path / "work"), log=lambda line: None)
    assert "incomplete" in entry["error"] and "parts" not in entry and export_parity.failed(entry)
