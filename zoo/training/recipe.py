"""What every recipe's ``main`` does: parse the CLI, make or reopen the run folder, handle errors cleanly.

A recipe module defines a frozen dataclass ``Config``, a ``NAME`` and ``run(cfg, run_dir, resume)``; its
``main(argv)`` is ``run_recipe(NAME, Config, run, argv)``.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import sys
import time

from zoo.training import interrupt
from zoo.training.cli import GeneratorEMAOptions, config_dict, config_to_json, parse_config
from zoo.training.distribute import is_chief, worker_run_dir
from zoo.training.run_dir import (RunDirError, discard_unused_run_dir, end_failed_run, latest_run_dir, new_run_dir,
                                   read_run_config, read_run_json)
from zoo.utils.arguments import EXIT_BAD_INPUT, UsageError, run_command
from zoo.utils.io import write_json


def _quiet_tensorflow(verbose: bool) -> None:
    if not verbose:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        logging.getLogger("tensorflow").setLevel(logging.ERROR)
        import warnings

        warnings.filterwarnings("ignore", module="keras")


def _record_command(run_dir: str, argv: list, resumed: bool) -> None:
    """command.json keeps the command that started the run and the machine it ran on; resumes are appended, never
    replace it."""
    path = os.path.join(run_dir, "command.json")
    from zoo.utils.hardware import describe

    hardware = describe()["summary"]
    record = read_run_json(run_dir, "command.json") if resumed and os.path.isfile(path) else {
        "argv": argv, "time": time.time(), "hardware": hardware}
    if resumed:
        record.setdefault("resumed_with", []).append({"argv": argv, "time": time.time(), "hardware": hardware})
    write_json(path, record)


def _interrupted_outside_the_loop(prog: str, run_dir: str | None) -> None:
    """A kill during start-up (data loading, building) or between phases: say so and record it, naming the last
    checkpoint only if there is one."""
    from zoo.training.checkpoint import latest_checkpoint

    if run_dir is None:
        print(f"\n{prog}: interrupted before a run folder was made; nothing was written", file=sys.stderr, flush=True)
        return
    last = latest_checkpoint(os.path.join(run_dir, "checkpoints"))
    status = {"status": "interrupted", "reason": "signal before training started or between its phases",
              "checkpoint": last}
    try:
        write_json(os.path.join(run_dir, "status.json"), status)
    except OSError:
        pass
    what = f"the last checkpoint is {last}; continue with --resume {run_dir}" if last else "no checkpoint was written"
    print(f"\n{prog}: interrupted before training started; {what}", file=sys.stderr, flush=True)


def run_recipe(name: str, config_cls, run_fn, argv=None, describe=None) -> int:
    """Parse ``argv`` for ``config_cls`` and call ``run_fn(cfg, run_dir, resume)``; returns the exit code.

    ``--resume`` reopens a run folder (by default the newest run of this recipe that has a checkpoint) and
    merges its config.json with the flags given now (which win, e.g. a larger ``--steps``). ``describe(cfg)``
    may return extra lines for ``--dry-run``. Data, checkpoint and disk errors end the process with a one-line
    message and exit code 2, not a traceback; a new run folder that a failure left unused is removed.
    SIGTERM (a scheduler, ``kill``, a closing terminal) takes the Ctrl-C path from the start: exit 130 with a
    message and ``status.json``, after a checkpoint once training runs.
    """
    interrupt.clear()
    try:
        previous = signal.signal(signal.SIGTERM, interrupt.request_stop)
    except ValueError:  # not the main thread: leave signals alone
        previous = None
    where: dict = {}  # the run folder, once known
    try:
        return _run_recipe(name, config_cls, run_fn, argv, describe, where)
    except KeyboardInterrupt as e:
        from zoo.training.callbacks import TrainingInterrupted

        if not isinstance(e, TrainingInterrupted):  # the loop has already said where it stopped
            _interrupted_outside_the_loop(f"python -m recipes.{name}", where.get("run_dir"))
        return 130
    finally:
        interrupt.clear()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _training_errors() -> tuple:
    """The training loop's error classes that are not ValueErrors, from their modules if a run imported them."""
    found = {"zoo.training.checkpoint": "CheckpointError", "zoo.training.callbacks": "NonFiniteLossError"}
    return tuple(getattr(sys.modules[m], c) for m, c in found.items() if m in sys.modules)


# Config fields a checkpoint restores over the flag (the optimizer's learning-rate variable): changing one on
# --resume would have no effect while config.json recorded the new value, so it is refused.
RESTORED_BY_CHECKPOINT = ("learning_rate",)
# Config fields that decide which variables a checkpoint holds (the augmenter's state): another value could not load
# the run's checkpoints, and config.json must not record it, so it is refused before anything is written.
SHAPES_CHECKPOINT = ("augment",)
# Fields of GeneratorEMAOptions whose being 0 or not decides it (a GAN run's EMA weights): switching on or off is
# refused the same way; another half-life is not (the progressive recipes' ema_kimg, without that base, never is).
SWITCHES_CHECKPOINT = ("ema_kimg",)


def _resume_conflict(stored: dict, cfg, passed: set) -> str | None:
    if isinstance(cfg, GeneratorEMAOptions):
        for name in SWITCHES_CHECKPOINT:
            # a config.json from before the field existed: the run had its default, 0
            default = {f.name: f.default for f in dataclasses.fields(GeneratorEMAOptions)}[name]
            now, then = getattr(cfg, name), stored.get(name, default)
            if name in passed and (now > 0) != (then > 0):
                flag = "--" + name.replace("_", "-")
                return (f"{flag} {now:g} with --resume: the run's checkpoints were made with {flag} {then:g}, "
                        f"{'with' if then > 0 else 'without'} the generator's EMA weights; start a new run to "
                        f"switch it {'off' if then > 0 else 'on'}")
    for name in RESTORED_BY_CHECKPOINT + SHAPES_CHECKPOINT:
        if name in passed and name in stored and getattr(cfg, name) != stored[name]:
            flag = "--" + name.replace("_", "-")
            if name in SHAPES_CHECKPOINT:
                return (f"{flag} {getattr(cfg, name)} with --resume: the run's checkpoints hold the state of "
                        f"{flag} {stored[name]}; start a new run to change it")
            return (f"{flag} {getattr(cfg, name)} with --resume: the checkpoint restores the run's {stored[name]}, so "
                    f"the new value would not apply; start a new run to change it")
    return None


def _run_recipe(name, config_cls, run_fn, argv, describe, where: dict) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    prog = f"python -m recipes.{name}"
    cfg, run, passed = parse_config(config_cls, argv, prog)  # bad flags and values exit 2 here, before TensorFlow
    _quiet_tensorflow(bool(run["verbose"]))
    created = {}
    try:
        code = run_command(prog, lambda: _start(name, config_cls, run_fn, argv, describe, where, prog, cfg, run,
                                                created), _training_errors, verbose=bool(run["verbose"]))
    except Exception as e:  # not bad input but a bug: its traceback follows, and the run folder says it failed
        end_failed_run(where.get("run_dir"), e, created=bool(created.get("run_dir")))
        raise
    if code == EXIT_BAD_INPUT and created.get("run_dir") and discard_unused_run_dir(created["run_dir"]):
        print(f"(removed the unused run folder {created['run_dir']})", flush=True)  # stdout: the error is one line
    return code


def _resolve_precision(cfg, run_fn=None):
    """``--precision auto`` becomes the precision this machine runs faster (``zoo.utils.hardware.auto_precision``;
    where that depends on the model, the recipe's own ``build`` is timed in both, ``zoo.training.precision_probe``),
    said on stdout and recorded in config.json, so a resume elsewhere keeps the run's dtype."""
    if getattr(cfg, "precision", None) != "auto":
        return cfg
    from zoo.training.precision_probe import recipe_probe
    from zoo.utils.hardware import auto_precision

    chosen, why = auto_precision(measure=recipe_probe(cfg, run_fn))
    print(f"precision: auto -> {chosen} ({why})", flush=True)
    return dataclasses.replace(cfg, precision=chosen)


def _start(name, config_cls, run_fn, argv, describe, where, prog, cfg, run, created: dict) -> int:
    run_dir = None
    if run["resume"]:
        out = getattr(cfg, "out", "runs")
        if run["resume"] == "latest":
            run_dir = latest_run_dir(out, name, with_checkpoint=True)
            if run_dir is None:
                raise RunDirError(f"--resume: no run of {name} with a checkpoint under {out}")
            print(f"resuming {run_dir}: the newest run of {name} under {out} with a checkpoint", flush=True)
        else:
            run_dir = run["resume"]
        if not os.path.isfile(os.path.join(run_dir, "config.json")):
            raise RunDirError(f"--resume: no config.json in {run_dir}")
        where["run_dir"] = run_dir
        stored = read_run_config(run_dir, config_cls)
        cfg, run, passed = parse_config(config_cls, argv, prog, base=stored)
        conflict = _resume_conflict(stored, cfg, passed)
        if conflict:
            raise UsageError(conflict)
    cfg = _resolve_precision(cfg, None if run["dry_run"] else run_fn)
    if run["dry_run"]:
        print(config_to_json(cfg))
        for line in (describe(cfg) if describe else []):
            print(line)
        return 0
    if not is_chief():  # another worker of a multi-worker run: it writes to a temporary folder, never to --out
        run_dir = where["run_dir"] = worker_run_dir(run_dir or os.path.join(getattr(cfg, "out", "runs"), name))
    if run_dir is None:
        run_dir = new_run_dir(getattr(cfg, "out", "runs"), name)
        created["run_dir"] = where["run_dir"] = run_dir
    write_json(os.path.join(run_dir, "config.json"), config_dict(cfg))
    _record_command(run_dir, [prog, *argv], resumed=bool(run["resume"]))
    print(f"run folder: {run_dir}", flush=True)
    from zoo.training.setup import precision_policy

    with precision_policy(getattr(cfg, "precision", "float32")):
        run_fn(cfg, run_dir, bool(run["resume"]))
    print(f"done: {run_dir}", flush=True)
    samples = os.path.join(run_dir, "samples", "latest.png")
    if os.path.isfile(samples):
        print(f"samples: {samples}", flush=True)
    return 0
