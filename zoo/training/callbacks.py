"""Callbacks of the training loop: step counting and caps, NaN guard, checkpoints, metric logs, plots, samples."""

from __future__ import annotations

import csv
import math
import os
import shutil
import time

import keras
import numpy as np
import tensorflow as tf

from zoo.training import interrupt
from zoo.training.checkpoint import save_checkpoint
from zoo.training.metrics_file import read_metrics, write_metrics
from zoo.utils.images import save_grid
from zoo.utils.io import write_json


class NonFiniteLossError(RuntimeError):
    """A loss or a weight became NaN or infinite; the run stopped and its last good checkpoint was kept."""


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM stopped the loop, which saved what it could and said so (re-raised for the caller)."""


def finite_check(variables):
    """A compiled ``f() -> bool``: whether every float variable in ``variables`` is finite (one call a step)."""
    floats = [v for v in variables if "float" in str(v.dtype)]

    @tf.function
    def check():
        return tf.reduce_all(tf.stack([tf.reduce_all(tf.math.is_finite(v)) for v in floats] or [True]))

    return lambda: bool(check())


class TrainState:
    """The loop's position, shared by the callbacks: global step and epoch, and whether the run went bad."""

    def __init__(self, step: int = 0, epoch: int = 0, steps_per_epoch: int = 1, total_steps: int = 0,
                 time_budget_s: float = 0.0):
        self.step, self.epoch, self.steps_per_epoch, self.total_steps = step, epoch, steps_per_epoch, total_steps
        self.bad_logs: dict | None = None
        self.start_time = time.time()
        # Wall-clock seconds of training over the whole run: the part before a resume (from the checkpoint)
        # plus this process's time since start_time. ``time_budget_s`` > 0 stops the run once it is spent.
        self.seconds_before = 0.0
        self.time_budget_s = float(time_budget_s)
        self.budget_spent = False

    def train_seconds(self) -> float:
        return self.seconds_before + time.time() - self.start_time

    def over_budget(self) -> bool:
        """Whether a time budget is set and spent (then remembered in ``budget_spent``)."""
        if self.time_budget_s > 0 and self.train_seconds() >= self.time_budget_s:
            self.budget_spent = True
        return self.budget_spent

    def as_dict(self) -> dict:
        return {"step": self.step, "epoch": self.epoch, "steps_per_epoch": self.steps_per_epoch,
                "total_steps": self.total_steps, "train_seconds": round(self.train_seconds(), 3)}


class StepCounter(keras.callbacks.Callback):
    """Counts global steps; stops training at ``total_steps``; stops on a non-finite logged value or a
    non-finite weight or optimizer variable (first, so that no later callback saves or logs that step)."""

    def __init__(self, state: TrainState, trainer):
        super().__init__()
        self.state, self.trainer = state, trainer
        self.weights_finite = finite_check([v for g in trainer.checkpoint_variables().values() for v in g])

    def on_epoch_begin(self, epoch, logs=None):
        self.state.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        logs = logs or {}
        bad = {k: float(v) for k, v in logs.items() if not math.isfinite(float(v))}
        if not bad and not self.weights_finite():
            # The update of this step made a weight NaN/Inf although the loss (computed before it) was finite.
            bad = {"weights": "non-finite after the update"}
        if bad:
            self.state.bad_logs = bad
            self.model.stop_training = True
            return
        # The optimizer's own counter is the truth: it survives interrupts and restores with the checkpoint.
        self.state.step = self.trainer.completed_steps()
        if interrupt.stop_requested() is not None:
            # A SIGTERM whose KeyboardInterrupt was swallowed (zoo.training.interrupt): end the fit after this step,
            # logged and counted as usual; the loop then takes the interrupt path (checkpoint, status, exit 130).
            self.model.stop_training = True
        elif self.state.step >= self.state.total_steps:
            self.model.stop_training = True
        elif self.state.over_budget():
            self.model.stop_training = True


class Progress(keras.callbacks.Callback):
    """Keras' progress bar in the run's own epochs and steps (``fit`` runs with verbose 0 beside it). ``fit`` sees
    only what one call trains, so a run resumed inside an epoch showed its remaining steps as a whole, last epoch
    ("Epoch 2/2", steps 1/2 and 2/2 of an epoch of 3); this one shows "Epoch 2/3" going from step 2/3 to 3/3."""

    def __init__(self, state: TrainState, verbose: int = 1):
        super().__init__()
        self.state, self.verbose = state, verbose
        self.bar, self.first = None, 0

    def on_epoch_begin(self, epoch, logs=None):
        s = self.state
        self.first = epoch * s.steps_per_epoch
        print(f"Epoch {epoch + 1}/{math.ceil(s.total_steps / s.steps_per_epoch)}", flush=True)
        self.bar = keras.utils.Progbar(min(s.steps_per_epoch, s.total_steps - self.first), verbose=self.verbose,
                                       unit_name="step", stateless_metrics=set())
        if s.step > self.first:  # resumed inside this epoch: its earlier steps are done
            self.bar.update(s.step - self.first)

    def on_train_batch_end(self, batch, logs=None):
        if self.verbose == 1:
            self.bar.update(self.state.step - self.first, list((logs or {}).items()), finalize=False)

    def on_epoch_end(self, epoch, logs=None):
        self.bar.update(self.state.step - self.first, list((logs or {}).items()), finalize=True)


class Checkpointer(keras.callbacks.Callback):
    """Saves a full checkpoint every ``every_steps`` steps, at each epoch end and at the end of training, never
    after a non-finite loss (the weights are already poisoned then)."""

    def __init__(self, state: TrainState, ckpt_dir: str, trainer, every_steps: int = 500, keep: int = 2,
                 extra_state: dict | None = None):
        super().__init__()
        self.state, self.ckpt_dir, self.trainer = state, ckpt_dir, trainer
        self.every_steps, self.keep, self.extra_state = every_steps, keep, extra_state or {}
        self.saved_step = state.step

    def save(self):
        if self.state.bad_logs is not None or self.state.step == self.saved_step:
            return
        save_checkpoint(self.ckpt_dir, self.trainer.checkpoint_variables(),
                        {**self.state.as_dict(), **self.extra_state}, keep=self.keep)
        self.saved_step = self.state.step

    def on_train_batch_end(self, batch, logs=None):
        # The last batch of an epoch is saved at the epoch's end instead, after its epoch-end metrics row, so that
        # a checkpoint never holds a step whose rows are missing.
        if self.every_steps and self.state.step % self.every_steps == 0 and batch + 1 != self.params.get("steps"):
            self.save()

    def on_epoch_end(self, epoch, logs=None):
        self.save()

    def on_train_end(self, logs=None):
        self.save()


class MetricsLog(keras.callbacks.Callback):
    """Appends step, epoch, seconds and every logged value to ``metrics.csv`` every ``every_steps`` steps (and
    at epoch end), flushing each line so a crash loses nothing; redraws the loss plot at each epoch end."""

    def __init__(self, state: TrainState, path: str, every_steps: int = 10, plot_path: str | None = None):
        super().__init__()
        self.state, self.path, self.every_steps, self.plot_path = state, path, every_steps, plot_path
        # A resume reads what the file holds: rows a crash damaged are dropped (the file as found is kept beside it
        # as metrics.csv.damaged), and so are rows of steps after the checkpoint, which this run trains again.
        self.fields, rows, damaged = read_metrics(path)
        kept = [r for r in rows if _int(r.get("step")) <= state.step]
        if damaged:
            shutil.copyfile(path, path + ".damaged")
            print(f"{path}: kept {len(rows)} intact rows and dropped {damaged} damaged "
                  f"line{'s' if damaged != 1 else ''} (the file as found is {path}.damaged)", flush=True)
        if damaged or len(kept) < len(rows):
            if self.fields:
                write_metrics(path, self.fields, kept)
            else:
                os.remove(path)  # no readable header: the next row starts the file again

    def _write(self, logs):
        row = {"step": self.state.step, "epoch": self.state.epoch,
               "seconds": round(time.time() - self.state.start_time, 3),
               **{k: float(v) for k, v in (logs or {}).items()}}
        new = [k for k in row if k not in (self.fields or [])]
        if new:
            # A first row, or a column that appears later (a callback adding to the epoch-end logs, a resume with
            # other metrics): rewrite the file once with the wider header, earlier rows blank in the new columns.
            rows = read_metrics(self.path)[1] if self.fields else []
            self.fields = [*(self.fields or []), *new]
            write_metrics(self.path, self.fields, rows)
        with open(self.path, "a", newline="") as f:
            csv.writer(f).writerow([row.get(k, "") for k in self.fields])

    def on_train_batch_end(self, batch, logs=None):
        if self.state.bad_logs is None and self.every_steps and self.state.step % self.every_steps == 0:
            self._write(logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.state.bad_logs is None:
            self._write(logs)
        if self.plot_path and os.path.isfile(self.path):  # no row yet when the first steps went NaN
            from zoo.training.plots import plot_metrics

            plot_metrics(self.path, self.plot_path)


def _int(text) -> int:
    try:
        return int(float(text))
    except (TypeError, ValueError):
        return -1


class SampleGrid(keras.callbacks.Callback):
    """Writes ``samples/step_<step>.png`` (and ``samples/latest.png``) from fixed inputs at each epoch end
    and at the end of training. ``render()`` returns images [N, H, W, C] in [-1, 1]."""

    def __init__(self, state: TrainState, folder: str, render, every_epochs: int = 1):
        super().__init__()
        self.state, self.folder, self.render, self.every_epochs = state, folder, render, every_epochs
        self.last_step = -1

    def write(self):
        if self.state.bad_logs is not None or self.state.step == self.last_step:
            return
        images = np.asarray(self.render())
        save_grid(os.path.join(self.folder, f"step_{self.state.step:08d}.png"), images)
        save_grid(os.path.join(self.folder, "latest.png"), images)
        self.last_step = self.state.step

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every_epochs == 0:
            self.write()

    def on_train_end(self, logs=None):
        self.write()


class StatusFile(keras.callbacks.Callback):
    """Keeps ``status.json`` in the run folder: running / finished / failed, with the step and the last logs."""

    def __init__(self, state: TrainState, path: str):
        super().__init__()
        self.state, self.path = state, path

    def on_epoch_end(self, epoch, logs=None):
        write_json(self.path, {"status": "running", **self.state.as_dict(),
                               "logs": {k: float(v) for k, v in (logs or {}).items()}})
