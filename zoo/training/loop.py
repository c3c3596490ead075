"""The one training loop: ``fit`` with the run's callbacks, resumable at any step, stopped cleanly on NaN."""

from __future__ import annotations

import logging
import os
import sys

import keras

from zoo.training import interrupt
from zoo.training.callbacks import (Checkpointer, MetricsLog, NonFiniteLossError, Progress, SampleGrid,
                                    StatusFile, StepCounter, TrainingInterrupted, TrainState)
from zoo.training.checkpoint import latest_checkpoint, restore_newest, save_checkpoint
from zoo.training.distribute import (copy_from_chief, distribute_dataset, is_chief, is_multi_worker, log_vectors,
                                      worker_run_dir)
from zoo.utils.io import write_json

log = logging.getLogger(__name__)


def train(trainer, dataset_fn, run_dir: str, *, steps_per_epoch: int, total_steps: int, resume: bool = False,
          checkpoint_every: int = 500, keep_checkpoints: int = 2, log_every: int = 10, render_samples=None,
          sample_every_epochs: int = 1,
          extra_callbacks=(), verbose: int | None = None, time_budget_s: float = 0.0,
          seconds_before: float = 0.0, batch_size: int | None = None) -> TrainState:
    """Train ``trainer`` (a compiled trainer with ``build_all``/``checkpoint_variables``/``completed_steps``)
    until ``total_steps`` steps, in epochs of ``steps_per_epoch``.

    ``dataset_fn(start_step)`` returns an infinite dataset whose first batch is batch ``start_step`` of the run's
    one seeded order (``make_dataset(..., start_batch=start_step)``); it is called once per ``fit``, so a resumed
    run sees exactly the batches an uninterrupted one would.
    ``render_samples()`` -> images in [-1, 1] for the sample grids. With ``resume`` the newest whole checkpoint
    in ``run_dir/checkpoints`` is restored first. Raises ``NonFiniteLossError`` when a loss, a weight or an
    optimizer variable goes NaN/Inf (the last checkpoint before it is kept), and on Ctrl-C / SIGTERM saves a
    checkpoint (once a step was taken) and raises ``TrainingInterrupted``. ``status.json`` is written from the
    start and always says how the run ended.

    ``time_budget_s`` > 0 also ends the run (with a checkpoint) once its training wall-clock time, summed over
    resumes, reaches that many seconds: the way to give several models the same compute budget.
    ``seconds_before``: training seconds already spent before this call when not resuming here (the progressive
    driver, which restores the checkpoint itself and calls ``train`` once per level).

    Under a multi-worker strategy (``zoo.training.distribute``) each worker trains on its slices of every global
    batch (``batch_size``: images per real batch; None: the elements' first dimension), only the chief writes
    ``run_dir`` (the others write to a temporary folder) and only the chief reads the checkpoint, whose values
    are then copied to every worker.
    """
    strategy = trainer.distribute_strategy
    multi_worker = is_multi_worker(strategy)
    if multi_worker:
        if time_budget_s > 0:
            raise ValueError("--time-budget cannot be used with several workers: each worker's own clock would stop "
                             "it at a different step and the others would wait for it forever; use --steps")
        log_vectors(trainer)
        run_dir = worker_run_dir(run_dir)
    with strategy.scope():  # optimizer variables made here must be the strategy's
        trainer.build_all()
    ckpt_dir = os.path.join(run_dir, "checkpoints")
    state = TrainState(steps_per_epoch=steps_per_epoch, total_steps=total_steps, time_budget_s=time_budget_s)
    state.seconds_before = float(seconds_before)
    if resume and is_chief():  # the other workers take the chief's state below
        path, stored = restore_newest(ckpt_dir, trainer.checkpoint_variables())
        if path is None:
            print(f"no checkpoint in {ckpt_dir}: starting from step 0", flush=True)
        else:
            state.step = int(stored["step"])
            state.seconds_before = float(stored.get("train_seconds", 0.0))
            epoch, done = divmod(state.step, steps_per_epoch)  # numbered from 1 below, as the progress bar does
            print(f"resumed from {path} at step {state.step} (next: epoch {epoch + 1}, its step {done + 1} of "
                  f"{steps_per_epoch})", flush=True)
    if multi_worker:  # the other workers' folders are empty: every worker takes the chief's state
        copy_from_chief(strategy, trainer.checkpoint_variables())
    state.step = trainer.completed_steps()
    status_path = os.path.join(run_dir, "status.json")
    if state.step >= total_steps:
        print(f"nothing to do: step {state.step} already reached the {total_steps} steps asked for "
              f"(raise --steps or --epochs to continue)", flush=True)
        return state
    if state.over_budget():
        print(f"nothing to do: the run already trained {state.seconds_before / 60:.1f} min of its "
              f"{state.time_budget_s / 60:.1f} min budget (raise --time-budget to continue)", flush=True)
        return state

    # The run has started: status.json exists from here on, whatever happens next (a kill, a NaN, a full disk).
    write_json(status_path, {"status": "running", **state.as_dict()})
    checkpointer = Checkpointer(state, ckpt_dir, trainer, every_steps=checkpoint_every, keep=keep_checkpoints)
    # Metrics before the checkpoint: a kill between the two re-runs the step from the older checkpoint (and
    # MetricsLog drops its row on resume) instead of leaving a checkpointed step without its row.
    callbacks = [
        StepCounter(state, trainer),
        MetricsLog(state, os.path.join(run_dir, "logs", "metrics.csv"), every_steps=log_every,
                   plot_path=os.path.join(run_dir, "plots", "losses.png")),
        checkpointer,
        StatusFile(state, status_path),
        keras.callbacks.TensorBoard(os.path.join(run_dir, "logs", "tensorboard"), update_freq=max(log_every, 1),
                                    write_graph=False, profile_batch=0),
        *extra_callbacks,
    ]
    if render_samples is not None:
        callbacks.append(SampleGrid(state, os.path.join(run_dir, "samples"), render_samples, sample_every_epochs))
    if verbose is None:
        verbose = 1 if sys.stdout.isatty() else 2
    if verbose:
        callbacks.insert(1, Progress(state, verbose))  # after StepCounter, which advances the step it shows

    try:
        while state.step < total_steps and state.bad_logs is None and not state.budget_spent:
            interrupt.raise_if_requested()  # one swallowed before training or between fits
            before = state.step
            epoch = state.step // steps_per_epoch
            ds = distribute_dataset(strategy, dataset_fn, state.step, batch_size)
            left = min(steps_per_epoch - state.step % steps_per_epoch, total_steps - state.step)
            if left == steps_per_epoch:  # whole epochs, in one fit
                trainer.fit(ds, epochs=total_steps // steps_per_epoch, initial_epoch=epoch,
                            steps_per_epoch=steps_per_epoch, callbacks=callbacks, verbose=0, shuffle=False)
            else:  # the rest of a partly done epoch, or a last partial one (a --steps cap)
                trainer.fit(ds, epochs=epoch + 1, initial_epoch=epoch, steps_per_epoch=left,
                            callbacks=callbacks, verbose=0, shuffle=False)
            interrupt.raise_if_requested()  # StepCounter ended the fit for a swallowed SIGTERM
            if state.step == before:
                break
    except KeyboardInterrupt as e:
        interrupt.clear()  # handled here, once: a later run in this process starts without it
        state.step = trainer.completed_steps()
        if state.bad_logs is None:
            checkpointer.save()
        last = latest_checkpoint(ckpt_dir)
        write_json(status_path, {"status": "interrupted", **state.as_dict(), "checkpoint": last})
        if last is None:
            where = "no checkpoint was written yet (nothing to resume)"
        elif last.endswith(f"ckpt-{state.step:08d}"):
            where = f"checkpoint saved: {last}. Continue with --resume {run_dir}"
        else:
            where = f"the last checkpoint is {last}. Continue with --resume {run_dir}"
        print(f"\ninterrupted at step {state.step}; {where}", file=sys.stderr, flush=True)
        raise TrainingInterrupted(str(e)) from e
    except Exception as e:  # a full disk, a damaged checkpoint, a callback's or the data's own error: all end here
        _record_failure(status_path, state, f"{type(e).__name__}: {' '.join(str(e).split())}")
        raise
    if state.bad_logs is not None:
        what = "weights" if "weights" in state.bad_logs else "loss"
        _record_failure(status_path, state, f"non-finite {what}", logs=state.bad_logs)
        last = latest_checkpoint(ckpt_dir)
        raise NonFiniteLossError(
            f"non-finite {what} at step {state.step + 1}: {state.bad_logs}. Training stopped; the last good "
            f"checkpoint is {last or '(none yet)'}. Try a lower learning rate, or resume from it with --resume.")
    if state.budget_spent:
        print(f"time budget of {state.time_budget_s / 60:.1f} min spent at step {state.step} of {total_steps}; "
              f"checkpoint saved", flush=True)
    write_json(status_path, {"status": "finished", "reason": "time budget" if state.budget_spent else "steps",
                             **state.as_dict()})
    return state


def _record_failure(status_path: str, state: TrainState, reason: str, **extra) -> None:
    try:
        write_json(status_path, {"status": "failed", "reason": reason, **state.as_dict(), **extra})
    except OSError:  # the disk that failed the run may refuse this too; the error message still goes out
        log.warning("could not write %s", status_path)


__all__ = ["NonFiniteLossError", "save_checkpoint", "train"]
