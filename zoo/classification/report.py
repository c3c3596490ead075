"""The report of a classifier run: test metrics of the best weights, plots, report.md, metrics.json and the preset."""

from __future__ import annotations

import dataclasses
import os


def write_report(cfg, run_dir, source, parts, split_info, classifier, test_src, best_weights, best_json, *,
                 recipe: str, extra_meta: dict | None = None, notes: list[str] | None = None):
    """Evaluate the best weights (rounded to float16, as the preset stores them) on the test split; write
    report.md (with a Notes section of ``notes``), metrics.json, the plots under report/ and the preset under
    preset/ (its metadata updated with ``extra_meta``). ``recipe`` names the recipe module, for the training
    command of a run folder without command.json. Returns the test metrics (``evaluation.evaluate``)."""
    import numpy as np

    from zoo.classification.dataset import make_labelled_dataset
    from zoo.classification.evaluation import evaluate, headline, predict_dataset
    from zoo.data.splits import split_seed
    from zoo.data.utkface import GENDERS, LICENCE, RACES
    from zoo.metrics import classification_plots as plots
    from zoo.metrics.classification import format_classification_table
    from zoo.registry import save_to_preset
    from zoo.utils.io import atomic_path, read_json, write_json

    best = read_json(best_json) if best_json and os.path.isfile(best_json) else None  # None: weights as given
    if best is not None:
        with np.load(best_weights, allow_pickle=False) as data:
            classifier.set_weights([data[f"arr_{i}"] for i in range(len(data.files))])
    # Round to float16 and back so that the reported metrics are those of the shipped preset.
    classifier.set_weights([w.astype(np.float16).astype(w.dtype) if np.issubdtype(w.dtype, np.floating) else w
                            for w in classifier.get_weights()])
    test_ds = make_labelled_dataset(test_src, cfg, training=False)
    outputs, labels, images = predict_dataset(classifier, test_ds, keep_images=len(test_src))
    # The sample grid shows a seeded random draw of the test split (its files are in name order, i.e. by age).
    pick = np.sort(np.random.default_rng(cfg.seed).permutation(len(images))[:cfg.num_samples])
    metrics = evaluate(outputs, labels)
    rep = os.path.join(run_dir, "report")
    os.makedirs(rep, exist_ok=True)
    lab = source.labels
    plots.plot_class_balance(os.path.join(rep, "class_balance.png"), lab["gender"], lab["race"], lab["age"],
                             GENDERS, RACES, title=f"{source.name}, {len(source)} images")
    figures = ["class_balance.png"]
    if "gender" in metrics:
        plots.plot_confusion(os.path.join(rep, "confusion_gender.png"), metrics["gender"]["confusion"], GENDERS,
                             "gender (test)")
        plots.plot_accuracy_by_bucket(os.path.join(rep, "gender_accuracy_by_age.png"), metrics["gender"]["by_age"],
                                      "gender accuracy by true age (test)")
        figures += ["confusion_gender.png", "gender_accuracy_by_age.png"]
    if "ethnicity" in metrics:
        plots.plot_confusion(os.path.join(rep, "confusion_ethnicity.png"), metrics["ethnicity"]["confusion"], RACES,
                             "ethnicity (test)")
        figures.append("confusion_ethnicity.png")
    if "age" in metrics:
        plots.plot_age_histograms(os.path.join(rep, "age_histograms.png"), labels["age"], outputs["age"],
                                  f"age (test): MAE {metrics['age']['mae']:.2f} years")
        figures.append("age_histograms.png")
    plots.plot_predictions(os.path.join(rep, "sample_predictions.png"), images[pick],
                           [caption({k: v[i] for k, v in outputs.items()}, {k: v[i] for k, v in labels.items()})
                            for i in pick])
    figures.append("sample_predictions.png")
    from zoo.classification.figures import FIGURES, feature_maps, has_feature_maps, training_curves
    from zoo.training.metrics_file import read_metrics

    if read_metrics(os.path.join(run_dir, "logs", "metrics.csv"))[1]:
        training_curves(run_dir, os.path.join(rep, FIGURES[0]))
        figures.append(FIGURES[0])
    if has_feature_maps(classifier):
        feature_maps(classifier, images[pick[0]], os.path.join(rep, FIGURES[1]), name="a test face")
        figures.append(FIGURES[1])

    record = read_json(os.path.join(run_dir, "command.json")) if os.path.isfile(
        os.path.join(run_dir, "command.json")) else {"argv": [f"python -m recipes.{recipe}"]}
    # The starting command, then each resume of the run (e.g. one that switched --test-time-flip on).
    command = [*record["argv"], *(w for r in record.get("resumed_with", []) for w in ("&&", *r["argv"]))]
    head = headline(metrics)
    write_json(os.path.join(run_dir, "metrics.json"), {"test": metrics, "headline": head, "best": best,
                                                       "split": split_info})
    meta = {
        "dataset": f"{source.name} ({len(source)} images; {source.skipped} files skipped)",
        "resolution": cfg.image_size, "channels": cfg.channels, "tasks": list(classifier.tasks),
        "input": f"[B, {cfg.image_size}, {cfg.image_size}, {cfg.channels}] float32 in [-1, 1] "
                 f"({'greyscale' if cfg.channels == 1 else 'RGB'})",
        "outputs": {"gender": "probabilities [B, 2]: 0 male, 1 female",
                    "ethnicity": "probabilities [B, 5]: 0 White, 1 Black, 2 Asian, 3 Indian, 4 Others",
                    "age": "years [B]"},
        "split": split_info, "metrics": {"test": head, "best_validation": best},
        "training_command": " ".join(command), "config": dataclasses.asdict(cfg),
        "licence": LICENCE if source.name == "utkface" else source.info.get("licence", ""),
        **(extra_meta or {}),
    }
    save_to_preset(classifier, os.path.join(run_dir, "preset"), meta, weights_dtype="float16")

    lines = [f"# UTKFace classifier report: task {cfg.task}", "",
             f"Data: {source.name}, {len(source)} images; split seed {split_seed(cfg)}, proportions {list(cfg.split)}: "
             + ", ".join(f"{k} {v}" for k, v in split_info["counts"].items()) + ".  ",
             f"Input {cfg.image_size}x{cfg.image_size} {'greyscale' if cfg.channels == 1 else 'colour'}; "
             f"best validation epoch: {best['epoch'] if best else 'n/a'}.  ",
             f"Command: `{' '.join(command)}`", "", "## Test metrics", "",
             "| metric | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in head.items()]
    for t in ("gender", "ethnicity"):
        if t in metrics:
            lines += ["", f"### {t}", "", format_classification_table(metrics[t]), "",
                      f"![confusion {t}](report/confusion_{t}.png)"]
    if "gender" in metrics:
        lines += ["", "Gender accuracy by true age:", "",
                  "| age | accuracy | images |", "|---|---|---|"]
        lines += [f"| {b['bucket']} | {b['accuracy']:.3f} | {b['count']} |" for b in metrics["gender"]["by_age"]]
        lines += ["", "![gender by age](report/gender_accuracy_by_age.png)"]
    if "age" in metrics:
        a = metrics["age"]
        lines += ["", "### age", "", f"MAE {a['mae']:.2f} years, RMSE {a['rmse']:.2f}, mean signed error "
                  f"{a['bias']:+.2f}.", "", "Age errors by true age (bias: mean of prediction - truth):", "",
                  "| age | MAE | bias | images |", "|---|---|---|---|"]
        lines += [f"| {b['bucket']} | {b['mae']:.2f} | {b['bias']:+.2f} | {b['count']} |" for b in a["by_age"]]
        lines += ["", "![age histograms](report/age_histograms.png)"]
    if notes:
        lines += ["", "## Notes", "", *(f"- {n}" for n in notes)]
    drawn = {"training_curves.png": "training and validation", "feature_maps.png": "feature maps of a test face"}
    if any(f in figures for f in drawn):
        lines += ["", "## Training", ""] + [f"![{alt}](report/{f})" for f, alt in drawn.items() if f in figures]
    lines += ["", "## Data", "", "![class balance](report/class_balance.png)", "", "## Sample test predictions", "",
              "![samples](report/sample_predictions.png)", "",
              f"Licence: {meta['licence']}", ""]
    with atomic_path(os.path.join(run_dir, "report.md")) as tmp, open(tmp, "w") as f:
        f.write("\n".join(lines))
    print("test: " + ", ".join(f"{k}={v}" for k, v in head.items()), flush=True)
    print(f"report: {os.path.join(run_dir, 'report.md')}", flush=True)
    return metrics


def caption(out, lab) -> str:
    """Two lines under a sample image: the predicted and the true gender, ethnicity and age of one face (``out``
    and ``lab``: {task: that face's output / label})."""
    from zoo.data.utkface import RACES

    pred, true = [], []
    if "gender" in out:
        g = int(out["gender"].argmax())
        pred.append(f"{'MF'[g]} {out['gender'][g]:.2f}")
        true.append("MF"[int(lab["gender"])])
    if "ethnicity" in out:
        e = int(out["ethnicity"].argmax())
        pred.append(RACES[e][:5])
        true.append(RACES[int(lab["ethnicity"])][:5])
    if "age" in out:
        pred.append(f"{float(out['age']):.0f}y")
        true.append(f"{int(lab['age'])}y")
    return "pred " + " ".join(pred) + "\ntrue " + " ".join(true)
