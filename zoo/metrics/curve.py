"""How much more training a target distance needs, read off a run's own curve.

    python -m zoo.evaluate --real utkface:UTKFACE --fake SNAP1/00003-celeba_wgan_gp SNAP2/00003-celeba_wgan_gp ... \\
        --extractor classifier_gender_utkface_48 --metrics fid --n 2000 --out curve_report.json
    python -m zoo.metrics.curve curve_report.json --target 20 --floor 1.92 --out OUT

Each ``--fake`` is a run folder (or a copy of one at an older checkpoint); ``zoo.evaluate`` records the images each
had trained on (``info.images_seen``) and its training seconds. The distance above the real-vs-real floor is
fitted as a power law of the images seen, d(N) - floor = a N^-b, by least squares in log-log space on the points
from ``--from-images`` on (the early steep part of a curve overstates the slope). The images the target needs,
and the training time at the run's own measured rate, are an extrapolation of that fit: the figure says so and
draws the fit beside the measured points.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np

PROG = "python -m zoo.metrics.curve"


class CurveError(ValueError):
    pass


def fit_power_law(images, distances, floor: float = 0.0) -> dict:
    """Least-squares fit of log(d - floor) = log a - b log N. Returns {"a", "b", "points", "r2"}. Needs at least
    two points above the floor; ``b`` <= 0 (no improvement with training) is returned as is."""
    n, d = np.asarray(images, float), np.asarray(distances, float)
    keep = (n > 0) & (d > floor)
    if keep.sum() < 2:
        raise CurveError(f"need at least two points with images > 0 and a distance above the floor {floor:g}, "
                         f"got {int(keep.sum())}")
    x, y = np.log(n[keep]), np.log(d[keep] - floor)
    slope, intercept = np.polyfit(x, y, 1)
    pred = intercept + slope * x
    ss = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - float(np.sum((y - pred) ** 2)) / ss if ss > 0 else 1.0
    return {"a": float(np.exp(intercept)), "b": float(-slope), "points": int(keep.sum()), "r2": r2}


def images_for(fit: dict, target: float, floor: float = 0.0) -> float | None:
    """Images at which the fitted curve reaches ``target``; None when it never does (target at or below the floor,
    or a curve that does not fall)."""
    if target <= floor or fit["b"] <= 0:
        return None
    return float((fit["a"] / (target - floor)) ** (1.0 / fit["b"]))


def curve_points(report: dict, metric: str | None = None) -> tuple[str, list[dict]]:
    """(metric name, [{"label", "images", "distance", "std", "train_seconds"}] sorted by images) from a
    ``zoo.evaluate`` report whose fakes are run folders."""
    results = report.get("results") or []
    if not results:
        raise CurveError("the report has no results (make it with python -m zoo.evaluate ... --out REPORT.json)")
    names = [k for k in results[0]["summary"] if k.lower().startswith(("fd", "fid"))]
    metric = metric or (names[0] if names else None)
    points = []
    for r in results:
        info = r.get("info") or {}
        if "images_seen" not in info:
            raise CurveError(f"{r['label']}: not a run folder (no images_seen); a curve needs run folders as --fake")
        if metric not in r["summary"]:
            raise CurveError(f"{r['label']}: no {metric} in the report (it has {', '.join(r['summary'])})")
        s = r["summary"][metric]
        points.append({"label": r["label"], "images": int(info["images_seen"]), "distance": float(s["mean"]),
                       "std": float(s.get("std", 0.0)), "train_seconds": info.get("train_seconds")})
    return metric, sorted(points, key=lambda p: p["images"])


def estimate(points: list[dict], target: float, floor: float, from_images: int = 0) -> dict:
    """The fit on the points from ``from_images`` on, the images the target needs and, at the run's measured rate
    (its last point's images / training seconds), the training time."""
    used = [p for p in points if p["images"] >= from_images]
    fit = fit_power_law([p["images"] for p in used], [p["distance"] for p in used], floor)
    need = images_for(fit, target, floor)
    last = points[-1]
    rate = last["images"] / last["train_seconds"] if last.get("train_seconds") else None
    reached = next((p["images"] for p in points if p["distance"] <= target), None)
    return {"target": target, "floor": floor, "fit": fit, "fitted_on_images_from": from_images,
            "reached_at_images": reached, "images_needed": need, "images_per_second": rate,
            "hours_needed": need / rate / 3600.0 if need and rate else None, "points": points}


def plot(result: dict, metric: str, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from zoo.utils.io import atomic_path

    pts = result["points"]
    n = np.array([p["images"] for p in pts], float)
    d, std = np.array([p["distance"] for p in pts]), np.array([p["std"] for p in pts])
    fitted = n >= result.get("fitted_on_images_from", 0)
    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.errorbar(n[fitted], d[fitted], yerr=std[fitted], marker="o", ls="", color="tab:blue", label="measured, fitted")
    if not fitted.all():
        ax.errorbar(n[~fitted], d[~fitted], yerr=std[~fitted], marker="o", mfc="none", ls="", color="tab:blue",
                    label="measured, left out of the fit")
    fit, floor = result["fit"], result["floor"]
    end = max(n.max(), result["images_needed"] or 0) * 1.2
    grid = np.geomspace(max(n[fitted].min(), 1.0), end, 100)
    ax.plot(grid, floor + fit["a"] * grid ** -fit["b"], ls="--",
            label=f"fit {floor:g} + {fit['a']:.3g} N^-{fit['b']:.3f} (extrapolated past the last point)")
    ax.axhline(result["target"], color="tab:green", lw=1, label=f"target {result['target']:g}")
    ax.axhline(floor, color="grey", lw=1, ls=":", label=f"real-vs-real floor {floor:g}")
    ax.set_xscale("log")
    low = min(d.min(), result["target"], floor if floor > 0 else d.min())
    if low > 0 and d.max() / low > 10:  # an early point far above the rest would flatten the fitted part
        ax.set_yscale("log")
    ax.set_xlabel("real images seen in training")
    ax.set_ylabel(metric)
    ax.legend(fontsize=7)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=90)
    plt.close(fig)


def main(argv=None) -> int:
    from zoo.utils.arguments import documented_parser

    p = documented_parser(PROG, __doc__)
    p.add_argument("report", help="a python -m zoo.evaluate --out report (JSON) whose fakes are run folders")
    p.add_argument("--target", type=float, required=True, help="the distance to reach")
    p.add_argument("--floor", type=float, default=0.0, help="the real-vs-real distance of the same protocol")
    p.add_argument("--metric", default=None, help="the report's distance column (default: its first FD/FID)")
    p.add_argument("--from-images", type=int, default=0, help="fit on the points from this many images on")
    p.add_argument("--out", default=None, help="folder for curve.json and curve.png")
    args = p.parse_args(argv)
    try:
        with open(args.report) as f:
            report = json.load(f)
        metric, points = curve_points(report, args.metric)
        result = estimate(points, args.target, args.floor, args.from_images)
    except (OSError, json.JSONDecodeError, KeyError, CurveError) as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    result["metric"] = metric
    fit = result["fit"]
    for pt in points:
        print(f"{pt['images']:>9d} images  {metric} {pt['distance']:.2f} +- {pt['std']:.2f}")
    print(f"fit on {fit['points']} points: {metric} = {args.floor:g} + {fit['a']:.4g} N^-{fit['b']:.3f} "
          f"(r2 {fit['r2']:.3f})")
    if result["reached_at_images"] is not None:
        print(f"target {args.target:g} reached at {result['reached_at_images']} images")
    elif result["images_needed"] is None:
        print(f"target {args.target:g}: the fitted curve never reaches it")
    else:
        hours = (f", {result['hours_needed']:.1f} h of training at the run's {result['images_per_second']:.1f} "
                 f"img/s") if result["hours_needed"] else ""
        print(f"target {args.target:g}: about {result['images_needed']:.3g} images by the fit (an extrapolation)"
              f"{hours}")
    if args.out:
        from zoo.utils.io import write_json

        os.makedirs(args.out, exist_ok=True)
        write_json(os.path.join(args.out, "curve.json"), result)
        plot(result, metric, os.path.join(args.out, "curve.png"))
        print(f"wrote {os.path.join(args.out, 'curve.json')} and curve.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
