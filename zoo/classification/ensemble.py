"""The ensemble of finished classifier runs: the mean of their best models, with an optional age calibration,
written as a run folder of its own (report, metrics, preset)."""

from __future__ import annotations

import dataclasses
import os


def ensemble(run_dirs: list[str], out: str, *, config_cls, recipe: str, command: list[str] | None = None,
             calibrate_age: bool = False) -> str:
    """A new run folder under ``out`` holding the ``FaceClassifierEnsemble`` of finished runs' best models (their
    ``preset/``): the same report, metrics.json and preset as a trained run, plus ``ensemble.json`` with the
    validation and test metrics of each member and of the ensemble. The runs must share data, input, heads and
    split (e.g. one recipe with different ``--seed`` and the same ``--split-seed``). Returns the folder.

    ``config_cls``: the recipe's Config (the runs' config.json is read back into it); ``recipe``: the recipe's
    name (``recipes.<recipe>``), which names the new run folder. Raises DataError for runs that cannot be averaged.

    ``calibrate_age``: fit a monotone map from the ensemble's ages to the true ages on the validation split
    (isotonic regression) and build it into the ensemble. The validation figures are then in-sample for the map;
    ``ensemble.json`` and the report also give the uncalibrated and the cross-fitted validation MAE."""
    import numpy as np

    from zoo.classification.dataset import TASK_SETS, make_labelled_dataset
    from zoo.classification.evaluation import evaluate, headline, predict_dataset
    from zoo.classification.report import write_report
    from zoo.data.errors import DataError
    from zoo.data.splits import split_indices, split_seed, write_split
    from zoo.models.face_classifier import FaceClassifierEnsemble, cross_fitted_age_mae, fit_age_calibration
    from zoo.registry import from_preset
    from zoo.training.run_dir import new_run_dir
    from zoo.training.setup import load_training_source
    from zoo.utils.io import read_json, write_json

    if len(run_dirs) < 2:
        raise DataError(f"an ensemble needs at least 2 runs, got {len(run_dirs)}")
    cfgs, splits = [], []
    for d in run_dirs:
        for f in ("config.json", "split.csv", os.path.join("preset", "config.json")):
            if not os.path.isfile(os.path.join(d, f)):
                raise DataError(f"{d} is not a finished {recipe} run: {f} is missing")
        cfgs.append(read_json(os.path.join(d, "config.json")))
        with open(os.path.join(d, "split.csv")) as fh:
            splits.append(fh.read())
    same = ("task", "data", "data_dir", "image_size", "channels", "split") + (
        ("num_synthetic", "seed") if cfgs[0]["data"] == "synthetic" else ())  # a synthetic set depends on its seed
    for d, c, sp in zip(run_dirs[1:], cfgs[1:], splits[1:]):
        diff = [k for k in same if c.get(k) != cfgs[0].get(k)]
        if diff:
            raise DataError(f"{d} differs from {run_dirs[0]} in {', '.join(f'{k} ({c.get(k)} vs {cfgs[0].get(k)})' for k in diff)}: "
                            f"an ensemble's members must share data, input, heads and split")
        if sp != splits[0]:
            raise DataError(f"{d} has another train/validation/test split than {run_dirs[0]} (split.csv differs): "
                            f"train the members with the same --split-seed")
    known = {f.name for f in dataclasses.fields(config_cls)}
    cfg = config_cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in cfgs[0].items() if k in known})
    cfg = dataclasses.replace(cfg, out=out)
    if calibrate_age and "age" not in TASK_SETS[cfg.task]:
        raise DataError(f"--calibrate-age needs runs with an age head; these are --task {cfg.task}")
    members = [from_preset(os.path.join(d, "preset")) for d in run_dirs]
    model = FaceClassifierEnsemble(members, name="classifier")
    model.build(model.input_shape_for())
    source = load_training_source(cfg, whole_batches=False)
    parts = split_indices(len(source), cfg.split, split_seed(cfg))
    run_dir = new_run_dir(out, recipe)
    print(f"run folder: {run_dir}", flush=True)
    write_json(os.path.join(run_dir, "config.json"), {**cfgs[0], "out": out, "ensemble_of": list(run_dirs)})
    write_json(os.path.join(run_dir, "command.json"), {"argv": command or [f"python -m recipes.{recipe} ensemble",
                                                                           *run_dirs]})
    split_info = write_split(run_dir, source, parts, cfg)
    val_ds = make_labelled_dataset(source.subset(parts["validation"]), cfg, training=False)
    summary = {"members": []}
    member_outs = []
    for d, c, m in zip(run_dirs, cfgs, members):
        out_m, val_labels, _ = predict_dataset(m, val_ds)
        member_outs.append(out_m)
        summary["members"].append({"run": d, "config": c, "validation": headline(evaluate(out_m, val_labels)),
                                   "test": m.preset_metadata.get("metrics", {}).get("test")})
    # The ensemble's outputs are the mean of its members': no second pass over the validation split.
    val_out = {t: np.mean(np.stack([o[t] for o in member_outs]), axis=0) for t in model.tasks}
    summary["validation"] = headline(evaluate(val_out, val_labels))
    notes = [f"The mean of {len(members)} runs' best models: "
             + "; ".join(f"{os.path.basename(os.path.normpath(d))} (validation "
                         + ", ".join(f"{k} {v}" for k, v in mem["validation"].items()) + ")"
                         for d, mem in zip(run_dirs, summary["members"])) + "."]
    members_meta = {"ensemble_of": [{"run": os.path.basename(os.path.normpath(mem["run"])), "test": mem["test"],
                                     "training_command": m.preset_metadata.get("training_command")}
                                    for mem, m in zip(summary["members"], members)]}
    if calibrate_age:
        # Fit on validation only: the test split stays unseen. Cross-fitting on validation estimates the gain
        # out of sample, since the calibrated validation MAE is in-sample.
        try:
            calibration = fit_age_calibration(val_out["age"], val_labels["age"])
            cross = cross_fitted_age_mae(val_out["age"], val_labels["age"])
        except ValueError as e:
            raise DataError(f"cannot calibrate the ensemble's ages on the validation split "
                            f"({len(val_labels['age'])} faces): {e}") from e
        model = FaceClassifierEnsemble(members, age_calibration=calibration, name="classifier")
        model.build(model.input_shape_for())
        calibrated = dict(val_out, age=np.interp(val_out["age"], calibration["x"], calibration["y"]))
        uncalibrated, summary["validation"] = summary["validation"], headline(evaluate(calibrated, val_labels))
        summary["age_calibration"] = {
            "fit_on": "validation split", "method": "isotonic regression (least squares), piecewise linear",
            "knots": len(calibration["x"]),
            "validation_age_mae": {"uncalibrated": uncalibrated["age_mae"],
                                   "in_sample": summary["validation"]["age_mae"],
                                   "cross_fitted_5x5": round(cross, 3)}}
        members_meta["age_calibration_fit"] = summary["age_calibration"]
        notes.append(f"Ages calibrated by a monotone piecewise-linear map ({len(calibration['x'])} knots) fit on the "
                     f"validation split; the test split was not used. Validation age MAE: "
                     f"{uncalibrated['age_mae']} uncalibrated, {summary['validation']['age_mae']} calibrated "
                     f"(in-sample for the map), {cross:.3f} cross-fitted (5 folds, 5 shuffles).")
    members_meta = {"ensemble_validation": summary["validation"], **members_meta}
    # The members' presets already hold their best epochs: no best weights to load.
    metrics = write_report(cfg, run_dir, source, parts, split_info, model, source.subset(parts["test"]), None, None,
                           recipe=recipe, extra_meta=members_meta, notes=notes)
    summary["test"] = headline(metrics)
    write_json(os.path.join(run_dir, "ensemble.json"), summary)
    for i, mem in enumerate(summary["members"]):
        print(f"member {i}: validation {mem['validation']}", flush=True)
    print(f"ensemble: validation {summary['validation']}", flush=True)
    if calibrate_age:
        print(f"age calibration: validation MAE {summary['age_calibration']['validation_age_mae']}", flush=True)
    return run_dir
