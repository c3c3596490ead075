"""zoo.metrics.curve: the power-law fit of a run's distance curve and the images a target needs."""

import json

import numpy as np
import pytest

from zoo.metrics.curve import CurveError, estimate, fit_power_law, images_for, main


def test_the_fit_recovers_a_known_power_law_and_inverts_it():
    n = np.array([1e4, 2e4, 4e4, 8e4, 1.6e5])
    d = 2.0 + 300.0 * n ** -0.4
    fit = fit_power_law(n, d, floor=2.0)
    assert fit["a"] == pytest.approx(300.0, rel=1e-6) and fit["b"] == pytest.approx(0.4, rel=1e-6)
    need = images_for(fit, 10.0, floor=2.0)
    assert 2.0 + 300.0 * need ** -0.4 == pytest.approx(10.0, rel=1e-6)
    assert images_for(fit, 1.5, floor=2.0) is None  # below the floor: never
    flat = fit_power_law(n, 50.0 + 0.0 * n + np.array([0, 1, 2, 3, 4]), floor=0.0)  # rising: never reaches 10
    assert flat["b"] < 0 and images_for(flat, 10.0) is None
    with pytest.raises(CurveError, match="two points"):
        fit_power_law([1e4], [30.0])


def _report(points, metric="FD[clf]"):
    return {"results": [{"label": f"run{i}", "info": {"images_seen": n, "train_seconds": n / 50.0},
                         "summary": {metric: {"mean": d, "std": 0.1}}} for i, (n, d) in enumerate(points)]}


def test_the_estimate_uses_the_runs_rate_and_notices_a_target_already_reached():
    pts = [(n, 2.0 + 300.0 * n ** -0.4) for n in (1e4, 2e4, 4e4)]
    from zoo.metrics.curve import curve_points

    metric, points = curve_points(_report(pts))
    r = estimate(points, target=5.0, floor=2.0)  # measured: 9.5, 7.5, 6.0
    assert metric == "FD[clf]" and r["reached_at_images"] is None
    assert r["images_per_second"] == pytest.approx(50.0)
    assert r["hours_needed"] == pytest.approx(r["images_needed"] / 50.0 / 3600.0)
    r = estimate(points, target=8.0, floor=2.0)
    assert r["reached_at_images"] == 20000  # the first measured point at or below the target


def test_cli_writes_the_curve_and_refuses_a_report_without_runs(tmp_path, capsys):
    good = tmp_path / "good.json"
    good.write_text(json.dumps(_report([(1e4, 40.0), (2e4, 30.0), (4e4, 24.0)])))
    assert main([str(good), "--target", "12", "--floor", "1.9", "--out", str(tmp_path / "out")]) == 0
    out = json.loads((tmp_path / "out" / "curve.json").read_text())
    assert out["images_needed"] > 4e4 and (tmp_path / "out" / "curve.png").stat().st_size > 1000
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"results": [{"label": "dcgan_utkface_64", "info": {}, "summary": {"FD[c]": {}}}]}))
    assert main([str(bad), "--target", "12"]) == 2
    err = capsys.readouterr().err
    assert "not a run folder" in err and "Traceback" not in err
