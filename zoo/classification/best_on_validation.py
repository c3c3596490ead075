"""Model selection during training: the weights of the epoch with the best validation score."""

from __future__ import annotations

import os


def best_on_validation(classifier, val_ds, run_dir: str, age_scale: float):
    """A Keras callback that evaluates ``val_ds`` at each epoch end, appends it to ``run_dir``/logs/validation.csv
    and keeps the best weights by ``evaluation.score`` (best_weights.npz, best.json); it survives a resume through
    best.json. Returns ``(callback, best_weights_path, best_json_path)``."""
    import csv

    import keras
    import numpy as np

    from zoo.classification.evaluation import evaluate, headline, predict_dataset, score
    from zoo.utils.io import atomic_path, read_json, write_json

    best_json = os.path.join(run_dir, "best.json")
    best_weights = os.path.join(run_dir, "best_weights.npz")
    val_csv = os.path.join(run_dir, "logs", "validation.csv")

    class BestOnValidation(keras.callbacks.Callback):
        """Evaluates the validation split at each epoch end, logs it to logs/validation.csv and keeps the best
        weights (best_weights.npz, best.json); survives a resume through best.json."""

        def __init__(self):
            super().__init__()
            self.best = read_json(best_json)["score"] if os.path.isfile(best_json) else -np.inf

        def on_epoch_end(self, epoch, logs=None):
            outputs, labels, _ = predict_dataset(classifier, val_ds)
            m = headline(evaluate(outputs, labels))
            s = score(evaluate(outputs, labels), age_scale)
            step = int(self.model.optimizer.iterations.numpy())
            row = {"epoch": epoch + 1, "step": step, "score": round(s, 5), **m}
            new = not os.path.isfile(val_csv)
            os.makedirs(os.path.dirname(val_csv), exist_ok=True)
            with open(val_csv, "a", newline="") as f:
                w = csv.DictWriter(f, fieldnames=list(row))
                if new:
                    w.writeheader()
                w.writerow(row)
            print(f"validation after epoch {epoch + 1}: " + ", ".join(f"{k}={v}" for k, v in m.items()), flush=True)
            if s > self.best:
                self.best = s
                with atomic_path(best_weights) as tmp, open(tmp, "wb") as f:
                    np.savez(f, *classifier.get_weights())
                write_json(best_json, {"score": s, "epoch": epoch + 1, "step": step, "validation": m})

    return BestOnValidation(), best_weights, best_json
