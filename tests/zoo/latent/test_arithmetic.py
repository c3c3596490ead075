"""zoo.latent arithmetic: A - B + C from the mean latents of real faces matching label rules."""

import os

import numpy as np
import pytest

from tests.zoo.latent.test_latent_cli import DATA, _run
from zoo.latent.__main__ import main


def _arith(tiny, out, a, b, c, *extra):
    return _run(out, "arithmetic", "--model", tiny["dec"], "--encoder", tiny["enc"], *DATA, "--a", a, "--b", b,
                "--c", c, "--per-term", "2", "--show", "2", "--measure", f"gender@{tiny['clf']}", "--measure",
                f"age@{tiny['clf']}", *extra)


def test_a_minus_b_plus_c_lands_on_c_when_a_equals_b_and_on_a_when_b_equals_c(tiny, tmp_path):
    """With A = B the offset is zero, so the result is C's decoded mean; with B = C it is A's. A sign or a term
    mixed up (A + B - C, C - A + B) breaks one of the two."""
    old, young = "gender=0&age>=40", "gender=1&age<40"
    same = _arith(tiny, tmp_path / "ab", old, old, young)
    for task in ("gender", "age"):
        m = same["measured"][f"{task}@{tiny['clf']}"]
        assert m["result"] == pytest.approx(m["c_decoded_mean"], rel=1e-5, abs=1e-6)
    other = _arith(tiny, tmp_path / "bc", old, young, young)
    for task in ("gender", "age"):
        m = other["measured"][f"{task}@{tiny['clf']}"]
        assert m["result"] == pytest.approx(m["a_decoded_mean"], rel=1e-5, abs=1e-6)
    assert same["terms"] == {"a": old, "b": old, "c": young} and same["latents"].startswith("encoded by")
    assert os.path.isfile(tmp_path / "ab" / "arithmetic.png")


def test_the_rules_of_a_term_are_all_required_and_too_few_faces_is_a_clear_error(tiny, tmp_path, capsys):
    from zoo.latent.arithmetic import term_mask

    labels = {"gender": np.array([0, 1, 0, 1]), "age": np.array([70, 70, 20, 20])}
    assert term_mask(labels, "gender=0&age>=60").tolist() == [True, False, False, False]
    assert term_mask(labels, "age>=60").tolist() == [True, True, False, False]
    assert main(["arithmetic", "--model", tiny["dec"], "--encoder", tiny["enc"], *DATA, "--a", "age>=1000",
                 "--b", "gender", "--c", "gender", "--out", str(tmp_path)]) == 2
    assert "--a 'age>=1000': 0 of the 24 faces drawn match" in capsys.readouterr().err
    assert main(["arithmetic", "--model", tiny["dec"], *DATA, "--a", "gender", "--b", "gender", "--c", "gender",
                 "--measure", "gender", "--out", str(tmp_path)]) == 2
    assert "expected TASK@CLASSIFIER" in capsys.readouterr().err
