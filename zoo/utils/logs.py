"""Quiet start-up for the command lines: TensorFlow's CUDA / oneDNN / absl lines only with --verbose.

TensorFlow prints its start-up lines (``failed call to cuInit``, ``oneDNN custom operations are on``, "All log
messages before absl::InitializeLog() ...", twice) from C++ before its log level applies, so the only way to
keep them out of a command's output is to import it with the process's stderr pointed at /dev/null. An
import hook does that whenever TensorFlow is first imported, so a command that never needs it stays fast.
``zoo/__init__`` installs the hook when the process is a facezoo command (``python -m zoo.*``, ``recipes.*``,
``export``, ``demo.*``); a library user's imports are left alone.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import logging
import os
import sys

VERBOSE_ENV = "FACEZOO_VERBOSE"


def verbose_requested(argv=None) -> bool:
    """True when ``--verbose`` is on the command line or FACEZOO_VERBOSE is set to a non-empty value but 0."""
    argv = sys.argv if argv is None else argv
    return "--verbose" in argv or os.environ.get(VERBOSE_ENV, "") not in ("", "0")


@contextlib.contextmanager
def _stderr_to_devnull():
    sys.stderr.flush()
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


def _quiet_python_logs() -> None:
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    try:
        from absl import logging as absl_logging

        absl_logging.set_verbosity(absl_logging.ERROR)
    except ImportError:
        pass


class _QuietLoader(importlib.abc.Loader):
    """TensorFlow's own loader, run with stderr silenced."""

    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        with _stderr_to_devnull():
            self.loader.exec_module(module)
        _quiet_python_logs()


class _QuietTensorFlowFinder(importlib.abc.MetaPathFinder):
    """Finds ``tensorflow`` as usual, once, and hands back a loader that imports it quietly."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader)
        return spec


def quiet_tensorflow(verbose: bool = False) -> None:
    """Whenever TensorFlow is first imported (by Keras or anything else), import it without its start-up lines
    and keep its later C++ and absl logs to errors only (the C++ ``cuInit`` error too). Costs nothing until
    then. With ``verbose`` (or FACEZOO_VERBOSE=1), or if TensorFlow is already imported, nothing is changed."""
    if verbose or verbose_requested(argv=[]) or "tensorflow" in sys.modules \
            or any(isinstance(f, _QuietTensorFlowFinder) for f in sys.meta_path):
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.meta_path.insert(0, _QuietTensorFlowFinder())


COMMAND_PACKAGES = ("zoo", "recipes", "export", "demo")


def is_command_line() -> bool:
    """True while a facezoo command runs: ``python -m zoo.*`` (its packages are imported while ``sys.argv[0]`` is
    still ``-m``) or a main module from one of ``COMMAND_PACKAGES``; False for a library user's import."""
    if sys.argv[:1] == ["-m"]:
        return True
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    return spec is not None and spec.name.split(".")[0] in COMMAND_PACKAGES


def quiet_cli_start() -> None:
    """Called when ``zoo`` is first imported: quiet TensorFlow for the facezoo commands unless --verbose (or
    FACEZOO_VERBOSE=1) is given."""
    if is_command_line():
        quiet_tensorflow(verbose_requested())
