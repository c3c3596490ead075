"""What every recipe's ``main`` does: parse the CLI, make or reopen the run folder, handle errors cleanly.

A recipe module defines a frozen dataclass ``Config``, a ``NAME`` and ``run(cfg, run_dir, resume)``; its
``main(argv)`` is ``run_recipe(NAME, Config, run, argv)``.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time

from zoo.training.cli import config_dict, config_to_json, parse_config
from zoo.training.run_dir import latest_run_dir, new_run_dir
from zoo.utils.io import read_json, write_json


def _quiet_tensorflow(verbose: bool) -> None:
    if not verbose:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        logging.getLogger("tensorflow").setLevel(logging.ERROR)
        import warnings

        warnings.filterwarnings("ignore", module="keras")


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def _record_command(run_dir: str, argv: list, resumed: bool) -> None:
    """command.json keeps the command that started the run; resumes are appended, never replace it."""
    path = os.path.join(run_dir, "command.json")
    record = read_json(path) if resumed and os.path.isfile(path) else {"argv": argv, "time": time.time()}
    if resumed:
        record.setdefault("resumed_with", []).append({"argv": argv, "time": time.time()})
    write_json(path, record)


def run_recipe(name: str, config_cls, run_fn, argv=None, describe=None) -> int:
    """Parse ``argv`` for ``config_cls`` and call ``run_fn(cfg, run_dir, resume)``; returns the exit code.

    ``--resume`` reopens a run folder and merges its config.json with the flags given now (which win, e.g. a
    larger ``--steps``). ``describe(cfg)`` may return extra lines for ``--dry-run``. Data and checkpoint
    errors end the process with their message and exit code 2, not a TensorFlow traceback.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    prog = f"python -m recipes.{name}"
    cfg, run, passed = parse_config(config_cls, argv, prog)
    _quiet_tensorflow(bool(run["verbose"]))
    run_dir = None
    if run["resume"]:
        out = getattr(cfg, "out", "runs")
        run_dir = latest_run_dir(out, name) if run["resume"] == "latest" else run["resume"]
        if run_dir is None or not os.path.isfile(os.path.join(run_dir, "config.json")):
            print(f"{prog}: error: --resume: no run of {name} to resume "
                  f"({'none under ' + out if run_dir is None else 'no config.json in ' + run_dir})", file=sys.stderr)
            return 2
        stored = read_json(os.path.join(run_dir, "config.json"))
        cfg, run, passed = parse_config(config_cls, argv, prog, base=stored)
    if run["dry_run"]:
        print(config_to_json(cfg))
        for line in (describe(cfg) if describe else []):
            print(line)
        return 0

    from zoo.data.errors import DataError
    from zoo.metrics.features import ExtractorError
    from zoo.registry import PresetError
    from zoo.training.callbacks import NonFiniteLossError
    from zoo.training.checkpoint import CheckpointError

    try:
        if run_dir is None:
            run_dir = new_run_dir(getattr(cfg, "out", "runs"), name)
        write_json(os.path.join(run_dir, "config.json"), config_dict(cfg))
        _record_command(run_dir, [prog, *argv], resumed=bool(run["resume"]))
        print(f"run folder: {run_dir}", flush=True)
        # A kill (SIGTERM: a scheduler, `kill`, a closing terminal) takes the Ctrl-C path: checkpoint, then exit.
        previous = signal.signal(signal.SIGTERM, _raise_interrupt)
        try:
            run_fn(cfg, run_dir, bool(run["resume"]))
        finally:
            signal.signal(signal.SIGTERM, previous)
    except (DataError, CheckpointError, NonFiniteLossError, ExtractorError, PresetError) as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    print(f"done: {run_dir}", flush=True)
    return 0
