"""Every ``python -m ...`` command in the README's and docs/*.md's code blocks parses as written.

A recipe's training command is parsed by its Config with ``--dry-run`` appended (``parse_config``, the recipes'
fast path); any other command (a recipe's sub-command, zoo.latent, zoo.evaluate, export, bench ...) goes through
its module's own ``main`` in this process, stopped the moment its parser has parsed, so nothing runs. Placeholders
(RUN, OUT, PRESET, UTKFACE ...) are plain strings to the parsers and stay as written.
"""

from __future__ import annotations

import argparse
import glob
import importlib
import os
import re
import shlex
from unittest import mock

import pytest

from tests.conftest import ROOT

PAGES = [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))
OURS = ("recipes.", "zoo", "export", "demo.", "bench.", "docs.")
FENCE = re.compile(r"^( *)```(\w*)\n(.*?)^\1```", re.M | re.S)
PREFIXES = {"nice": 2, "taskset": 2}  # wrapper -> how many of its own tokens follow it (nice -n 10, taskset -c 0)


def shell_lines(block: str) -> list[str]:
    """The block's logical lines: continuations joined, ``NAME="..."`` and ``for V in A ...; do X; done`` applied."""
    env, out = {}, []
    for line in block.replace("\\\n", " ").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        loop = re.match(r"for (\w+) in (\S+)[^;]*; do (.*?);? done$", line)
        if loop:
            env[loop[1]] = loop[2]
            line = loop[3]
        for name, value in env.items():
            line = line.replace("${" + name + "}", value).replace("$" + name, value)
        assignment = re.match(r'^(\w+)="([^"]*)"$', line)
        if assignment:
            env[assignment[1]] = assignment[2]
            continue
        out.append(line)
    return out


def commands_in(text: str) -> list[tuple[str, list[str]]]:
    """(module, argv) of every ``python -m MODULE`` of this project in the page's code blocks."""
    found = []
    for match in FENCE.finditer(text):
        if match[2] == "python":
            continue
        block = "\n".join(l[len(match[1]):] for l in match[3].splitlines())
        for line in shell_lines(block):
            if not re.search(r"python[\d.]* +-m ", line):
                continue  # output shown in a block, a layout line, a command of another tool
            lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|")
            lexer.whitespace_split, lexer.commenters = True, "#"
            segment = []
            for token in list(lexer) + [";"]:
                if token in (";", "&&", "||", "|", "&"):
                    found += _python_module(segment)
                    segment = []
                else:
                    segment.append(token)
    return found


def _python_module(tokens: list[str]) -> list[tuple[str, list[str]]]:
    while tokens and (tokens[0] in PREFIXES or re.match(r"^\w+=", tokens[0])):
        tokens = tokens[1 + PREFIXES.get(tokens[0], 0):]
    if len(tokens) >= 3 and re.fullmatch(r"python[\d.]*", os.path.basename(tokens[0])) and tokens[1] == "-m":
        if tokens[2].startswith(OURS):
            return [(tokens[2], tokens[3:])]
    return []


def documented() -> list[tuple[str, str, list[str]]]:
    out = []
    for page in PAGES:
        with open(page, encoding="utf-8") as f:
            out += [(os.path.relpath(page, ROOT), module, argv) for module, argv in commands_in(f.read())]
    return out


class _Parsed(BaseException):
    """Raised by the patched parser once the command line has parsed: ``main`` goes no further."""

    def __init__(self, namespace):
        super().__init__()
        self.namespace = namespace


def parse_only(module: str, argv: list[str]) -> argparse.Namespace:
    """What ``python -m module argv`` parses to; SystemExit (code 2) if its parser refuses it."""
    mod = importlib.import_module(module if module not in ("export", "zoo.latent") else module + ".__main__")
    if module.startswith("recipes.") and not (argv and argv[0] in ("predict", "ensemble", "export-presets")):
        from zoo.training.cli import parse_config

        cfg, run, _ = parse_config(mod.Config, argv + ["--dry-run"], f"python -m {module}")
        return argparse.Namespace(config=cfg, **run)
    parse_args, parse_known_args = argparse.ArgumentParser.parse_args, argparse.ArgumentParser.parse_known_args
    depth = [0]  # parse_args and sub-commands call parse_known_args inside: only the outermost call stops main

    def parse_and_stop(self, args=None, namespace=None):
        depth[0] += 1
        try:
            namespace = parse_args(self, args, namespace)
        finally:
            depth[0] -= 1
        raise _Parsed(namespace)

    def parse_known_and_stop(self, args=None, namespace=None):
        depth[0] += 1
        try:
            namespace, extras = parse_known_args(self, args, namespace)
        finally:
            depth[0] -= 1
        if depth[0] == 0:
            raise _Parsed(namespace)
        return namespace, extras

    with mock.patch.object(argparse.ArgumentParser, "parse_args", parse_and_stop), \
            mock.patch.object(argparse.ArgumentParser, "parse_known_args", parse_known_and_stop):
        try:
            mod.main(list(argv))
        except _Parsed as parsed:
            return parsed.namespace
    raise AssertionError(f"python -m {module} returned without parsing its arguments")


def reads_real_faces_without_a_folder(module: str, ns: argparse.Namespace) -> bool:
    """zoo.latent commands that read a dataset's faces (an --encoder's PCA or directions, restore, scatter,
    mean-faces) exit 2 at run time without --data-dir: the parser cannot see it, so the documented command must."""
    if module != "zoo.latent":
        return False
    reads = ns.command in ("restore", "scatter", "mean-faces") or (
        ns.command in ("pca", "grid", "sample", "attribute", "directions") and getattr(ns, "encoder", None))
    return bool(reads) and ns.data != "synthetic" and not ns.data_dir


COMMANDS = documented()


def test_the_pages_show_commands_of_every_kind():
    modules = {module for _, module, _ in COMMANDS}
    assert len(COMMANDS) > 60, "the command extraction found too few commands; has the page format changed?"
    for expected in ("recipes.celeba_dcgan", "recipes.utkface_classifiers", "zoo.latent", "zoo.evaluate", "export",
                     "zoo.make_preset", "demo.app", "bench.progressive_mixed_precision"):
        assert expected in modules, f"no `python -m {expected}` found in the pages"


def test_shell_forms_are_read_as_a_shell_would():
    block = ('D="--data utkface --batch-size 64"\ntaskset -c 0 python -m recipes.celeba_dcgan   $D --base-filters 32\n'
             "for s in 2 3; do python -m recipes.utkface_classifiers --seed $s; done\n"
             "python3.11 -m venv .venv && .venv/bin/python -m recipes.celeba_vae --epochs 1  # a comment\n"
             "nice -n 10 python -m zoo.latent grid \\\n  --out OUT\n"
             "evaluate.py        python -m zoo.evaluate;  make_preset.py: python -m zoo.make_preset RUN_DIR\n")
    assert commands_in(f"```bash\n{block}```\n") == [
        ("recipes.celeba_dcgan", ["--data", "utkface", "--batch-size", "64", "--base-filters", "32"]),
        ("recipes.utkface_classifiers", ["--seed", "2"]),
        ("recipes.celeba_vae", ["--epochs", "1"]),
        ("zoo.latent", ["grid", "--out", "OUT"]),
    ]
    assert commands_in(f"```python\n{block}```\n") == []


def test_a_latent_command_that_reads_faces_without_its_folder_is_caught():
    # the README's pca command before this page was fixed: it exited 2 when copied
    ns = parse_only("zoo.latent", shlex.split("pca --model dcgan_utkface_64 --activations --samples 3000 "
                                              "--encoder vae_encoder_utkface_64 --count 2000 --out OUT"))
    assert reads_real_faces_without_a_folder("zoo.latent", ns)
    ns = parse_only("zoo.latent", shlex.split("pca --model dcgan_utkface_64 --encoder vae_encoder_utkface_64 "
                                              "--data utkface --data-dir UTKFACE --out OUT"))
    assert not reads_real_faces_without_a_folder("zoo.latent", ns)


def test_a_misspelt_flag_is_refused():
    with pytest.raises(SystemExit) as e:
        parse_only("zoo.evaluate", ["--real", "synthetic", "--fake", "dcgan_utkface_64", "--metrik", "fid"])
    assert e.value.code == 2
    with pytest.raises(SystemExit):
        parse_only("recipes.celeba_dcgan", ["--base-filter", "32"])


@pytest.mark.parametrize("page,module,argv", COMMANDS,
                         ids=[f"{p}: {m} {' '.join(a)}"[:120] for p, m, a in COMMANDS])
def test_documented_command_parses(page, module, argv, capsys):
    try:
        ns = parse_only(module, argv)
    except SystemExit as e:
        pytest.fail(f"{page}: `python -m {module} {shlex.join(argv)}` exits {e.code}: "
                    f"{capsys.readouterr().err.strip()[-400:]}")
    assert not reads_real_faces_without_a_folder(module, ns), \
        f"{page}: `python -m {module} {shlex.join(argv)}` reads real faces but names no --data-dir"


def test_parsing_stops_main_before_it_runs_anything(monkeypatch):
    import types

    def main(argv):
        p = argparse.ArgumentParser()
        p.add_argument("--n", type=int)
        p.parse_known_args(argv)  # a main that tolerates extra arguments is stopped too
        raise RuntimeError("the command ran")

    monkeypatch.setitem(__import__("sys").modules, "fake_cli", types.SimpleNamespace(main=main))
    assert parse_only("fake_cli", ["--n", "3", "--extra"]).n == 3
    with pytest.raises(SystemExit):
        parse_only("fake_cli", ["--n", "three"])
