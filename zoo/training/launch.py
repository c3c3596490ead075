"""Start N local workers of a multi-worker run, each with its ``TF_CONFIG``; one failing stops them all.

    python -m zoo.training.launch --workers 2 -- python -m recipes.celeba_dcgan --data synthetic --steps 100

Worker 0 is the chief: its output is this command's output and it alone writes the run folder (see
``zoo.training.distribute``). The other workers' output goes to ``worker-<i>.log`` in a temporary folder, removed
after a run that succeeded and kept (and named) after one that failed. When any worker exits with an error or is
killed, the others get SIGTERM (the chief then saves a checkpoint if it is between two steps), SIGKILL after
``--grace`` seconds, and the launcher exits non-zero with a sentence saying which worker failed and how to
continue. Ctrl-C or SIGTERM to the launcher stops every worker the same way (exit 130).

For several machines, start one process per machine yourself with the ``TF_CONFIG`` that ``tf_config_for``
returns (docs/multi_worker.md; a Kubeflow TFJob sets it for you).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from zoo.utils.arguments import EXIT_BAD_INPUT, Parser, integer, number

PROG = "python -m zoo.training.launch"


def free_ports(count: int, host: str = "localhost") -> list[int]:
    """``count`` distinct TCP ports that are free now (held open together while they are chosen)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((host, 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def tf_config_for(addresses: list[str], index: int) -> str:
    """The ``TF_CONFIG`` of worker ``index`` in a cluster of workers at ``addresses`` ("host:port"); worker 0 is
    the chief."""
    return json.dumps({"cluster": {"worker": list(addresses)}, "task": {"type": "worker", "index": int(index)}})


def _how(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by signal {-code} ({signal.Signals(-code).name})"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


def _tail(path: str, lines: int = 5) -> str:
    try:
        with open(path, errors="replace") as f:
            kept = [ln.rstrip() for ln in f.readlines() if ln.strip()][-lines:]
    except OSError:
        return ""
    return "".join(f"\n  | {ln}" for ln in kept)


class Job:
    """The running workers: ``procs[i]`` is worker i's process, ``logs[i]`` its log file (None: the chief)."""

    def __init__(self, command: list[str], workers: int, grace: float):
        self.command, self.grace = command, grace
        self.log_dir = tempfile.mkdtemp(prefix="zoo-launch-")
        ports = free_ports(workers)
        self.addresses = [f"localhost:{p}" for p in ports]
        self.procs, self.logs = [], []
        for i in range(workers):
            env = {**os.environ, "TF_CONFIG": tf_config_for(self.addresses, i)}
            log = None if i == 0 else os.path.join(self.log_dir, f"worker-{i}.log")
            out = None if log is None else open(log, "w")
            try:
                # Own session: the terminal's Ctrl-C reaches the launcher only, which stops the workers in order.
                self.procs.append(subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                                   stderr=subprocess.STDOUT if out else None,
                                                   start_new_session=True))
            except OSError:
                self.stop()
                raise
            finally:
                if out is not None:
                    out.close()
            self.logs.append(log)
            print(f"{PROG}: worker {i} pid {self.procs[-1].pid} at {self.addresses[i]}"
                  f"{' (chief)' if i == 0 else ', output in ' + log}", file=sys.stderr, flush=True)

    def stop(self, skip=()) -> None:
        """SIGTERM to every running worker but ``skip``, SIGKILL to those still running after the grace."""
        running = [p for i, p in enumerate(self.procs) if i not in skip and p.poll() is None]
        for p in running:
            _signal(p, signal.SIGTERM)
        end = time.monotonic() + self.grace
        for p in running:
            try:
                p.wait(timeout=max(end - time.monotonic(), 0.01))
            except subprocess.TimeoutExpired:
                _signal(p, signal.SIGKILL)
                p.wait()

    def wait(self) -> int:
        """Wait until every worker ended well (0) or one failed (the others are then stopped); the exit code."""
        while True:
            codes = [p.poll() for p in self.procs]
            failed = [i for i, c in enumerate(codes) if c not in (None, 0)]
            if failed:
                return self._failed(failed[0], codes[failed[0]])
            if all(c == 0 for c in codes):
                shutil.rmtree(self.log_dir, ignore_errors=True)
                return 0
            time.sleep(0.1)

    def _failed(self, index: int, code: int) -> int:
        self.stop(skip=(index,))
        others = len(self.procs) - 1
        where = f"; its output: {self.logs[index]}{_tail(self.logs[index])}" if self.logs[index] else ""
        print(f"{PROG}: worker {index}{' (the chief)' if index == 0 else ''} (pid {self.procs[index].pid}) "
              f"{_how(code)}, so the other {others} worker{'s were' if others != 1 else ' was'} stopped and the job "
              f"failed{where}\n{PROG}: to continue from the chief's last checkpoint, run the same command with "
              f"--resume (and the same number of workers)", file=sys.stderr, flush=True)
        return code if code > 0 else 128 - code


def _signal(proc, sig) -> None:
    try:
        os.killpg(proc.pid, sig)  # the worker's own session: its children too
    except (ProcessLookupError, PermissionError):
        pass


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = Parser(prog=PROG, description="Run a command as N local workers of a tf.distribute multi-worker job "
                                           "(MultiWorkerMirroredStrategy), e.g. "
                                           f"{PROG} --workers 2 -- python -m recipes.celeba_dcgan --data synthetic")
    parser.add_argument("--workers", type=integer(1, 64), required=True, help="processes to start (1-64)")
    parser.add_argument("--grace", type=number(0, 600), default=10.0,
                        help="seconds a stopped worker gets to save and exit before SIGKILL (default 10)")
    if "--" not in argv:
        parser.parse_args([a for a in argv if a in ("-h", "--help")] or argv)
        parser.error("give the command to run after --, e.g. -- python -m recipes.celeba_dcgan ...")
    split = argv.index("--")
    args, command = parser.parse_args(argv[:split]), argv[split + 1:]
    if not command:
        parser.error("nothing to run after --: give a command, e.g. -- python -m recipes.celeba_dcgan ...")
    if command[0] in ("python", "python3"):
        command = [sys.executable, *command[1:]]  # the launcher's own interpreter (its virtual environment)
    if shutil.which(command[0]) is None and not os.path.isfile(command[0]):
        print(f"{PROG}: error: {command[0]!r} is not a program on PATH", file=sys.stderr)
        return EXIT_BAD_INPUT

    job = None

    def interrupted(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupted)
    try:
        job = Job(command, args.workers, args.grace)
        return job.wait()
    except KeyboardInterrupt:
        if job is not None:
            job.stop()
        print(f"\n{PROG}: interrupted; every worker was stopped", file=sys.stderr, flush=True)
        return 130
    except OSError as e:
        print(f"{PROG}: error: cannot start {command[0]!r}: {e.strerror or e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
