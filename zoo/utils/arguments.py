"""Checked command-line arguments, and the one way a facezoo command ends on bad input.

Bad input ends in ``<prog>: error: <sentence>`` on stderr (one line) and exit code 2, never a traceback:
``Parser`` does it for what argparse rejects (its types below reject non-finite or out-of-range numbers and
names that would leave an output folder), ``run_command`` for what the command finds later (a ``ValueError``,
every project error is one, an ``OSError`` such as a read-only or full disk, or a class the caller adds).
Nothing here imports TensorFlow, so a typo is reported before its 15 s start-up.
"""

from __future__ import annotations

import argparse
import errno
import math
import os
import re
import sys
import traceback

EXIT_BAD_INPUT = 2
_NAME = re.compile(r"[A-Za-z0-9_.<>=-]+")  # <>= for a direction named by its label rule, e.g. age>=40


class UsageError(ValueError, argparse.ArgumentTypeError):
    """An argument's value is wrong. Raised by a check after parsing (a combination of flags, a file's shape) it is
    a ValueError; raised by an argparse ``type`` argparse shows its message."""


class Parser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` whose errors are one line (no usage block) and that takes no abbreviations;
    sub-commands get the same class."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message):
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (--help lists the options)\n")


def documented_parser(prog: str, doc: str) -> Parser:
    """A ``Parser`` for a command whose module docstring is its help: the first paragraph the description, the rest
    (examples, details) the epilog, laid out as written."""
    parts = doc.split("\n\n")
    return Parser(prog=prog, description=parts[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                  epilog="\n\n".join(parts[1:]))


def _range_text(low, high) -> str:
    low, high = (v if isinstance(v, int) or v is None else f"{v:g}" for v in (low, high))
    if low is not None and high is not None:
        return f"from {low} to {high}"
    return f"at least {low}" if low is not None else f"at most {high}"


def check_number(value, what: str, low=None, high=None, *, integer: bool = False, above=None):
    """``value`` if it is a finite number (an int when ``integer``) within ``[low, high]`` and greater than
    ``above``, else a UsageError naming ``what``."""
    if integer and (isinstance(value, bool) or not isinstance(value, int)):
        raise UsageError(f"{what} {value!r}: expected a whole number")
    if not integer and (isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)):
        raise UsageError(f"{what} {value!r}: expected a finite number")
    if (low is not None and value < low) or (high is not None and value > high):
        raise UsageError(f"{what} {value!r}: expected a value {_range_text(low, high)}")
    if above is not None and value <= above:
        raise UsageError(f"{what} {value!r}: expected a value above {above:g}")
    return value


def _argparse_type(parse, low, high, integer, label, above=None):
    def convert(text: str):
        try:
            value = parse(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {label}") from None
        try:
            return check_number(value, "", low, high, integer=integer, above=above)
        except UsageError as e:
            raise argparse.ArgumentTypeError(str(e).strip()) from None

    convert.__name__ = label  # argparse names the type in some messages
    return convert


def integer(low: int | None = None, high: int | None = None):
    """An argparse ``type``: a whole number within ``[low, high]``."""
    return _argparse_type(int, low, high, True, "a whole number")


def number(low: float | None = None, high: float | None = None, above: float | None = None):
    """An argparse ``type``: a finite number (no nan or inf) within ``[low, high]`` (and greater than ``above``)."""
    return _argparse_type(float, low, high, False, "a number", above)


def _listed(one, label: str, as_text: bool):
    def convert(text: str):
        values = [one(v.strip()) for v in text.split(",") if v.strip()]
        if not values:
            raise argparse.ArgumentTypeError(f"{text!r}: expected {label}")
        return text if as_text else values

    convert.__name__ = label
    return convert


def integers(low: int | None = None, high: int | None = None, as_text: bool = False):
    """An argparse ``type``: a comma-separated list of whole numbers within ``[low, high]`` (at least one); the
    checked text itself with ``as_text``."""
    return _listed(integer(low, high), "comma-separated whole numbers", as_text)


def numbers(low: float | None = None, high: float | None = None, as_text: bool = False):
    """An argparse ``type``: a comma-separated list of finite numbers within ``[low, high]`` (at least one)."""
    return _listed(number(low, high), "comma-separated numbers", as_text)


def check_name(text: str, what: str = "name") -> str:
    """``text`` if it can be part of a file name inside an output folder: letters, digits, ``_ - .`` and the
    ``< > =`` of a label rule (``age>=40``), not ``.`` or ``..``; else a UsageError (a name like ``../../x`` would
    write outside the folder)."""
    if not isinstance(text, str) or not _NAME.fullmatch(text) or text in (".", ".."):
        raise UsageError(f"{what} {text!r}: expected letters, digits and _ - . < > = only, no path (it becomes "
                         f"part of a file name)")
    return text


def name(text: str) -> str:
    """An argparse ``type`` for a name that becomes part of a file name (see ``check_name``)."""
    try:
        return check_name(text, "")
    except UsageError as e:
        raise argparse.ArgumentTypeError(str(e).strip()) from None


def check_output_folder(path: str, what: str = "--out") -> str:
    """``path`` if it is, or can be made as, a writable folder; else a UsageError saying why (checked before a
    long computation writes its results there)."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise UsageError(f"{what} {path}: is a file, expected a folder")
    parent = path
    while not os.path.exists(parent):
        parent = os.path.dirname(os.path.abspath(parent))
    if not os.path.isdir(parent) or not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"{what} {path}: cannot write to {parent}")
    return path


PRESET_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "presets")


def check_model(spec: str, what: str = "--model") -> str:
    """``spec`` if it can name a model: an existing file or folder (a run folder may carry a ``:part`` suffix) or
    an installed built-in preset; else a UsageError listing the presets. Reads folder names only, so an unknown
    name is reported before TensorFlow is imported; the loader checks the rest."""
    path = spec.rpartition(":")[0] if ":" in spec and not os.path.exists(spec) else spec
    if os.path.exists(path) or os.path.isfile(os.path.join(PRESET_DIR, spec, "metadata.json")):
        return spec
    names = sorted(n for n in os.listdir(PRESET_DIR) if os.path.isfile(os.path.join(PRESET_DIR, n, "metadata.json"))) \
        if os.path.isdir(PRESET_DIR) else []
    raise UsageError(f"{what} {spec!r}: unknown preset: no such file or folder, and not a built-in preset "
                     f"({', '.join(names) or 'none'})")


_WRITE_ERRORS = {errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EFBIG}


def error_sentence(e: BaseException) -> str:
    """One line for an error: an OSError as ``[cannot write ]<file>: <reason>``, anything else its message."""
    if isinstance(e, OSError) and not isinstance(e, ValueError) and e.strerror:
        text = e.strerror if not e.filename else \
            f"{'cannot write ' if e.errno in _WRITE_ERRORS else ''}{e.filename}: {e.strerror}"
    else:
        text = str(e) or type(e).__name__
    return " ".join(text.split())


def run_resumable(prog: str, work) -> int:
    """``run_command`` for a command that picks up where it stopped when run again (background removal,
    alignment): Ctrl-C says so and returns 130."""
    try:
        return run_command(prog, work)
    except KeyboardInterrupt:
        print("interrupted; run the same command again to continue", file=sys.stderr)
        return 130


def run_command(prog: str, work, also=(), verbose: bool = False) -> int:
    """``work()``'s exit code (0 for None). A ValueError (every facezoo error class is one), an OSError (a missing
    file, a read-only or full disk) or one of ``also`` raised in it prints ``<prog>: error: <sentence>`` and
    returns 2 instead; ``verbose`` prints the traceback before it. ``also`` may be a function returning the classes,
    called only on an error (so that naming them imports nothing heavy before it)."""
    try:
        code = work()
    except Exception as e:
        known = (ValueError, OSError, *(also() if callable(also) else also))
        if not isinstance(e, known):
            raise
        if verbose:
            traceback.print_exc()
        print(f"{prog}: error: {error_sentence(e)}", file=sys.stderr, flush=True)
        return EXIT_BAD_INPUT
    return 0 if code is None else code
