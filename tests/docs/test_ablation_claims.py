"""The sentences of docs/training.md's ablation and fine-tuning sections, checked against the shipped JSON files they
describe (docs/data/gan_ablation_*.json): a re-measured ablation that no longer says the same fails here."""

import json
import os
import re

import pytest

from tests.conftest import ROOT

SPACES = ("classifier_gender_utkface_48", "face_embedding")


def _load(name):
    with open(os.path.join(ROOT, "docs", "data", f"gan_ablation_{name}.json")) as f:
        return json.load(f)


def _fd(result, space, row):
    return result["test"][space]["rows"][row]["fd"]


@pytest.mark.parametrize("name", ["dcgan64_subset2k", "dcgan64_full"])
def test_the_baselines_ema_is_the_best_arm_and_augmentation_does_not_pay_at_this_compute(name):
    result = _load(name)
    for space in SPACES:
        best = min(result["test"][space]["rows"], key=lambda row: _fd(result, space, row))
        assert best == "none/ema", (space, best)
        # the EMA helps the baseline and ADA in both spaces (DiffAugment too, but for a tie on 2,000 faces)
        for arm in ("none", "ada"):
            assert _fd(result, space, f"{arm}/ema") < _fd(result, space, f"{arm}/trained"), (space, arm)


@pytest.mark.parametrize("name", ["dcgan64_subset2k", "dcgan64_full"])
def test_the_costs_of_augmentation_and_the_two_spaces_order_as_the_page_says(name):
    result = _load(name)
    for space in SPACES:
        base = _fd(result, space, "none/ema")
        assert 1.9 <= round(_fd(result, space, "diffaugment/ema") / base, 1) <= 2.4, space
        assert 0.09 <= round(_fd(result, space, "ada/ema") / base - 1, 2) <= 0.5, space
    order = [sorted(result["test"][s]["rows"], key=lambda row: _fd(result, s, row)) for s in SPACES]
    drop = {"diffaugment/ema", "diffaugment/trained"}
    assert [r for r in order[0] if r not in drop] == [r for r in order[1] if r not in drop]
    assert set(order[0][-2:]) == drop and set(order[1][-2:]) == drop  # DiffAugment last in both spaces


@pytest.mark.parametrize("name", ["dcgan64_subset2k", "dcgan64_full"])
def test_no_validation_curve_has_turned_up_the_chosen_checkpoint_is_one_of_the_last_two(name):
    result = _load(name)
    for arm, weights in result["choose"]["arms"].items():
        for w, entry in weights.items():
            steps = [p["step"] for p in entry["curve"]]
            assert entry["step"] in steps[-2:], (arm, w, entry["step"], steps)


def test_fine_tuning_beats_scratch_in_both_spaces_as_the_page_says():
    result = _load("dcgan64_finetune_old")
    for space in SPACES:
        assert _fd(result, space, "preset/ema") < _fd(result, space, "scratch/ema")
        assert _fd(result, space, "preset/trained") < _fd(result, space, "scratch/trained")
    grey = result["test"][SPACES[0]]
    assert grey["rows"]["preset/ema"]["recall"] > 2 * grey["rows"]["scratch/ema"]["recall"]
    with open(os.path.join(ROOT, "docs", "training.md"), encoding="utf-8") as f:
        page = f.read()
    quoted = re.search(r"FD\[grey\] ([\d.]+) against ([\d.]+), FD\[face\] ([\d.]+) against ([\d.]+), recall "
                       r"([\d.]+) against ([\d.]+)", page)
    assert quoted, "the fine-tuning findings' sentence is gone from docs/training.md"
    face = result["test"][SPACES[1]]
    shipped = [grey["rows"]["preset/ema"]["fd"], grey["rows"]["scratch/ema"]["fd"], face["rows"]["preset/ema"]["fd"],
               face["rows"]["scratch/ema"]["fd"], grey["rows"]["preset/ema"]["recall"],
               grey["rows"]["scratch/ema"]["recall"]]
    for text, value in zip(quoted.groups(), shipped):
        assert float(text) == pytest.approx(value, abs=0.5 * 10 ** -len(text.split(".")[1])), (text, value)


def test_the_longer_runs_sentences_match_its_json_and_the_shipped_presets_record():
    with open(os.path.join(ROOT, "docs", "training.md"), encoding="utf-8") as f:
        page = " ".join(f.read().split())
    result = _load("dcgan64_long")
    curve = {p["step"]: p["fd"] for p in result["choose"]["arms"]["none"]["ema"]["curve"]}
    best = min(curve, key=curve.get)
    assert best == 11000 and f"{curve[best]:.2f} there, and FD[grey] {_fd(result, SPACES[0], 'none/ema'):.2f}" in page
    assert max(curve) == result["arms"]["none"]["steps"] == 13200
    assert curve[13000] > curve[best] and f"({curve[13000]:.2f} at 13,000)" in page
    full = _load("dcgan64_full")
    assert f"against {_fd(full, SPACES[0], 'none/ema'):.2f} at 4,000 steps" in page
    face = result["test"][SPACES[1]]["rows"]["none/ema"]
    assert face["precision"] >= 0.6 and face["recall"] >= 0.35  # issue 28's face-space target
    assert f"{face['precision']:.2f} / {face['recall']:.2f} on the test faces, with FD[face] {face['fd']:.4f}" in page
    # the shipped preset is this run's chosen EMA checkpoint, and its own records are the figures the page quotes
    with open(os.path.join(ROOT, "zoo", "presets", "dcgan_utkface_64", "metadata.json")) as f:
        meta = json.load(f)
    assert meta["run_model"] == {"part": "generator", "step": best, "weights": "ema"}
    assert meta["training_command"].split("--out ")[-1] == "runs/ablation/full_none"  # the winning arm's run
    assert meta["discriminator"]["class_name"] == "DCGANDiscriminator"
    protocol = meta["face_feature_distance"]
    fd, std = protocol[f"FD[{SPACES[0]}]"]["mean"], protocol[f"FD[{SPACES[0]}]"]["std"]
    assert fd <= 4.0 and f"{fd:.2f} +- {std:.2f} (2,000 samples x 3" in page
    assert f"(floor {protocol['real_vs_real_floor_FD']:.2f})" in page
    for space in SPACES:  # the preset's float16 weights on the test faces: the run's float32 checkpoint's figures
        ran = result["test"][space]["rows"]["none/ema"]
        recorded = meta["test_distances"][space]
        assert abs(recorded[f"FD[{space}]"]["mean"] - ran["fd"]) <= 0.02 * ran["fd"]
        assert abs(recorded[f"precision[{space}]"]["mean"] - ran["precision"]) <= 0.02


def test_the_wgan_gp_preset_is_its_runs_chosen_checkpoint_and_the_page_says_what_it_measured():
    """docs/presets.md's WGAN-GP section: the shipped generator is the EMA checkpoint its run's JSON chose on
    validation, its curves were still falling (so the choice is the last checkpoint), and its recorded test figures
    are the run's float32 checkpoint's."""
    with open(os.path.join(ROOT, "docs", "presets.md"), encoding="utf-8") as f:
        page = " ".join(re.sub(r"<!-- .*? -->", "", f.read()).split())  # generated values read as text
    result = _load("wgan_gp64_long")
    arm = result["arms"]["none"]
    chosen = result["choose"]["arms"]["none"]["ema"]
    curve = [p["fd"] for p in chosen["curve"]]
    assert chosen["step"] == arm["steps"] == chosen["curve"][-1]["step"]  # the last checkpoint ...
    assert curve[-1] == min(curve)  # ... because the curve was still falling
    assert f"stopped by SIGTERM at step {arm['steps']:,}" in page and f"ckpt-{arm['steps']:08d}" in page
    assert arm["augment"] == "none" and arm["ema_kimg"] == 10 and arm["train_on"] == "train" and arm["n_critic"] == 5
    with open(os.path.join(ROOT, "zoo", "presets", "wgan_gp_utkface_64", "metadata.json")) as f:
        meta = json.load(f)
    assert meta["run_model"] == {"part": "generator", "step": chosen["step"], "weights": "ema"}
    assert meta["images_seen"] == arm["images"] and meta["config"]["train_on"] == "train"
    assert meta["discriminator"]["class_name"] == "LayerNormCritic"
    for space in SPACES:  # the preset's float16 weights on the test faces: the run's float32 checkpoint's figures
        ran = result["test"][space]["rows"]["none/ema"]
        recorded = meta["test_distances"][space]
        assert abs(recorded[f"FD[{space}]"]["mean"] - ran["fd"]) <= 0.03 * ran["fd"], space
        assert abs(recorded[f"precision[{space}]"]["mean"] - ran["precision"]) <= 0.03, space
    protocol = meta["face_feature_distance"][f"FD[{SPACES[0]}]"]["mean"]
    assert protocol > 6.0 and f"{protocol:.2f} against issue 28's target of 6.0: **not met, by {protocol - 6:.2f}**" in page
    # the fit the page quotes, recomputed from the shipped curve
    from zoo.metrics.curve import fit_power_law

    floor = result["test"][SPACES[0]]["floor"]["fd"]
    points = [p for p in chosen["curve"] if p["step"] >= 1500]
    fit = fit_power_law([p["images"] for p in points], [p["fd"] for p in points], floor=floor)
    assert f"`{floor:.2f} + {fit['a']:.3g} N^-{fit['b']:.2f}`".replace("e+", "e") in page
    target = chosen["validation_fd"] * 6.0 / protocol
    needed = ((target - floor) / fit["a"]) ** (-1 / fit["b"])
    assert f"{chosen['validation_fd']:.2f} x 6.0 / {protocol:.2f} = {target:.2f}" in page
    assert f"about {needed / 1e6:.2f}M images" in page and f"r2 {fit['r2']:.2f}" in page
