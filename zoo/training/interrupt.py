"""SIGTERM as a stop request that cannot be lost.

A Python signal handler runs at the next bytecode of the main thread, wherever that is. When it lands in a
``__del__`` or a ``weakref`` callback (TensorFlow runs many), the ``KeyboardInterrupt`` it raises is printed as
"Exception ignored in ..." and dropped, and the run trains on as if nothing happened. So the handler first records
the request here; the training loop's callbacks look at it after every step and stop as if Ctrl-C had arrived
there (checkpoint, ``status.json``, exit 130). No TensorFlow import: ``zoo.training.recipe`` installs it first.
"""

from __future__ import annotations

_requested: list = []  # the signal numbers received since the last clear()


def request_stop(signum, frame=None):
    """The SIGTERM handler: remember the request, then raise at once (the usual, immediate path)."""
    _requested.append(signum)
    raise KeyboardInterrupt(f"signal {signum}")


def stop_requested() -> int | None:
    """The signal number of a pending stop request, or None."""
    return _requested[-1] if _requested else None


def raise_if_requested() -> None:
    """Raise the ``KeyboardInterrupt`` a swallowed handler meant to raise (a no-op when none is pending)."""
    if _requested:
        raise KeyboardInterrupt(f"signal {_requested[-1]} (its first interrupt was swallowed)")


def clear() -> None:
    """Forget pending requests: once a stop has been handled, or when a new run starts in the same process."""
    _requested.clear()
