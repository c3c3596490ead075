"""A preset's carried parts (``discriminator/``, make_preset --with-discriminator): loaded by
``zoo.registry.preset_part``, checked against the sha256 the preset records, and pinned with the built-in files."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest

import zoo
from zoo import preset_pins, registry
from zoo.models.dcgan import DCGANDiscriminator, DCGANGenerator
from zoo.registry import PresetError, preset_part
from tests.conftest import UTKFACE_REAL, needs_real_utkface
from zoo.utils.io import sha256_file


def _preset_with_discriminator(folder: str) -> str:
    """What make_preset --with-discriminator writes, from two tiny models (no run needed)."""
    g, d = DCGANGenerator(8, 8, 3, 4), DCGANDiscriminator(8, 3, 4)
    g.build((None, 8))
    d.build((None, 8, 8, 3))
    sub = zoo.save_to_preset(d, os.path.join(folder, "discriminator"), {"dataset": "synthetic"})
    recorded = json.load(open(os.path.join(sub, "metadata.json")))
    zoo.save_to_preset(g, folder, {"dataset": "synthetic", "discriminator": {
        k: recorded[k] for k in ("class_name", "weights_dtype", "weights_sha256", "parameters")}})
    return folder


def _rewrite(weights: str, meta_paths: list[str], key_path: list[list[str]]) -> None:
    """Change the first array of ``weights`` and update every sha256 recorded for it (a careful tamperer)."""
    with np.load(weights) as data:
        arrays = {k: data[k] for k in data.files}
    first = sorted(arrays)[0]
    arrays[first] = arrays[first] + 1
    with open(weights, "wb") as f:
        np.savez(f, **arrays)
    for path, keys in zip(meta_paths, key_path):
        meta = json.load(open(path))
        target = meta
        for k in keys[:-1]:
            target = target[k]
        target[keys[-1]] = sha256_file(weights)
        json.dump(meta, open(path, "w"))


def test_a_preset_without_the_part_gives_none_and_an_unknown_part_is_refused(tmp_path):
    g = DCGANGenerator(8, 8, 3, 4)
    g.build((None, 8))
    path = zoo.save_to_preset(g, str(tmp_path / "p"), {"dataset": "synthetic"})
    assert preset_part(path, "discriminator") is None
    with pytest.raises(PresetError, match="unknown preset part 'encoder'"):
        preset_part(path, "encoder")


def test_a_part_swapped_for_other_weights_is_refused(tmp_path):
    path = _preset_with_discriminator(str(tmp_path / "p"))
    assert type(preset_part(path, "discriminator")).__name__ == "DCGANDiscriminator"
    sub = os.path.join(path, "discriminator")
    _rewrite(os.path.join(sub, "weights.npz"), [os.path.join(sub, "metadata.json")], [["weights_sha256"]])
    with pytest.raises(PresetError, match=r"discriminator/weights\.npz has sha256 .* metadata\.json records"):
        preset_part(path, "discriminator")


def test_a_part_missing_or_unrecorded_is_refused(tmp_path):
    path = _preset_with_discriminator(str(tmp_path / "p"))
    shutil.move(os.path.join(path, "discriminator"), str(tmp_path / "elsewhere"))
    with pytest.raises(PresetError, match="records a discriminator but .* is missing"):
        preset_part(path, "discriminator")
    shutil.move(str(tmp_path / "elsewhere"), os.path.join(path, "discriminator"))
    meta = json.load(open(os.path.join(path, "metadata.json")))
    del meta["discriminator"]
    json.dump(meta, open(os.path.join(path, "metadata.json"), "w"))
    with pytest.raises(PresetError, match="not recorded in its metadata.json"):
        preset_part(path, "discriminator")


def test_the_pins_cover_a_built_in_presets_discriminator(tmp_path, monkeypatch):
    root = tmp_path / "presets"
    _preset_with_discriminator(str(root / "tiny"))
    pins = preset_pins.current_pins(str(root))
    assert sorted(pins["tiny"]) == ["config.json", "discriminator/config.json", "discriminator/weights.npz",
                                    "weights.npz"]
    monkeypatch.setattr(registry, "PRESET_DIR", str(root))
    monkeypatch.setattr(preset_pins, "pinned", lambda: pins)
    assert preset_part(str(root / "tiny"), "discriminator") is not None  # intact: loads
    sub = root / "tiny" / "discriminator"
    _rewrite(str(sub / "weights.npz"), [str(sub / "metadata.json"), str(root / "tiny" / "metadata.json")],
             [["weights_sha256"], ["discriminator", "weights_sha256"]])
    with pytest.raises(PresetError, match=r"discriminator/weights\.npz has sha256 .* but the package pins"):
        preset_part(str(root / "tiny"), "discriminator")
    with pytest.raises(PresetError, match="package pins"):
        zoo.from_preset(str(root / "tiny"))  # the main model of a preset with a changed part is refused too


@needs_real_utkface()
def test_the_shipped_dcgan_carries_the_discriminator_it_trained_against():
    """dcgan_utkface_64's discriminator is the one of its own run: it tells real test faces from the preset's samples
    (a fresh or another run's discriminator would score both alike, AUC ~0.5). Measured: AUC 0.95 on 64 + 64."""
    from zoo.latent.data import load_images

    discriminator, generator = preset_part("dcgan_utkface_64", "discriminator"), zoo.from_preset("dcgan_utkface_64")
    real, _, _ = load_images("utkface", UTKFACE_REAL, count=64, image_size=64, split="test")
    fake = np.asarray(generator(np.random.default_rng(0).standard_normal((64, 100)).astype("float32")))
    real_scores, fake_scores = np.asarray(discriminator(real)).ravel(), np.asarray(discriminator(fake)).ravel()
    assert (real_scores[:, None] > fake_scores[None, :]).mean() > 0.8
