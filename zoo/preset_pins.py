"""Pinned sha256 of the built-in presets' files, kept in the package's code (``zoo/preset_sha256.py``).

``metadata.json`` carries the sha256 of ``weights.npz``, but it sits beside the weights: whoever changes one can
change both. The built-in presets are therefore also pinned here, in code, and ``from_preset`` refuses a
built-in preset whose files differ from their pins. Every file of a built-in preset folder except
``metadata.json`` (whose metrics are rescored now and then and which loads nothing) is pinned, the files of its
sub-folders too (a carried discriminator: ``discriminator/config.json``, ``discriminator/weights.npz``).

After adding or replacing a built-in preset, regenerate the pins and commit ``zoo/preset_sha256.py``::

    python -m zoo.preset_pins           # rewrite zoo/preset_sha256.py from zoo/presets/*
    python -m zoo.preset_pins --check   # exit 1 and list the differences, write nothing
"""

from __future__ import annotations

import argparse
import os
import sys

from zoo.utils.io import atomic_path, sha256_file

PINS_MODULE = os.path.join(os.path.dirname(__file__), "preset_sha256.py")
UNPINNED = ("metadata.json",)
REGENERATE = "python -m zoo.preset_pins"


def _preset_dir() -> str:
    from zoo import registry

    return registry.PRESET_DIR


def pinned_files(folder: str) -> list[str]:
    """The files of a preset folder that are pinned, as paths relative to it with "/" (a sub-folder's files too:
    ``discriminator/weights.npz``); every ``metadata.json`` and hidden file or folder is left out."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        rel = os.path.relpath(root, folder)
        found += [f if rel == "." else f"{rel.replace(os.sep, '/')}/{f}" for f in files
                  if f not in UNPINNED and not f.startswith(".")]
    return sorted(found)


def current_pins(preset_dir: str | None = None) -> dict[str, dict[str, str]]:
    """{preset name: {file name: sha256}} computed from the files under ``preset_dir`` (default: the package's)."""
    root = preset_dir or _preset_dir()
    out = {}
    for name in sorted(os.listdir(root)) if os.path.isdir(root) else []:
        folder = os.path.join(root, name)
        if os.path.isfile(os.path.join(folder, "metadata.json")):
            out[name] = {f: sha256_file(os.path.join(folder, f)) for f in pinned_files(folder)}
    return out


def pinned() -> dict[str, dict[str, str]]:
    from zoo.preset_sha256 import PINS

    return PINS


def differences(preset_dir: str | None = None) -> list[str]:
    """One line per preset or file whose sha256 differs from its pin (empty when all match)."""
    want, have = pinned(), current_pins(preset_dir)
    lines = []
    for name in sorted(set(want) | set(have)):
        if name not in have:
            lines.append(f"{name}: pinned but not installed")
            continue
        if name not in want:
            lines.append(f"{name}: installed but not pinned")
            continue
        for f in sorted(set(want[name]) | set(have[name])):
            if want[name].get(f) != have[name].get(f):
                lines.append(f"{name}/{f}: sha256 {have[name].get(f, 'missing')} but pinned "
                             f"{want[name].get(f, 'none')}")
    return lines


def is_builtin_path(path: str) -> bool:
    """True when ``path`` is a folder directly inside the package's preset folder."""
    return os.path.dirname(os.path.realpath(path)) == os.path.realpath(_preset_dir())


def verify_builtin(path: str) -> None:
    """Raise PresetError when the built-in preset at ``path`` has a file that differs from its pin.

    Folders outside the package's preset folder are not checked (their metadata's sha256 still is)."""
    from zoo.registry import PresetError

    if not is_builtin_path(path):
        return
    name = os.path.basename(os.path.realpath(path))
    pins = pinned().get(name)
    if pins is None:
        raise PresetError(f"built-in preset {name!r} ({path}) has no pinned sha256 in zoo/preset_sha256.py; a "
                          f"newly added preset is pinned with `{REGENERATE}`")
    files = pinned_files(path)
    for f in sorted(set(files) | set(pins)):
        digest = sha256_file(os.path.join(path, f)) if f in files else "missing"
        if digest != pins.get(f):
            raise PresetError(f"built-in preset {name!r}: {os.path.join(path, f)} has sha256 {digest} but the "
                              f"package pins {pins.get(f, 'no such file')}; the installed files were changed or are "
                              f"corrupt: reinstall facezoo (after replacing a preset on purpose, run `{REGENERATE}`)")


def write_pins(preset_dir: str | None = None, module_path: str = PINS_MODULE) -> dict:
    """Rewrite the pins module from the files under ``preset_dir``; returns the pins written."""
    pins = current_pins(preset_dir)
    lines = [f'"""sha256 of the built-in presets\' files (all but metadata.json), generated by `{REGENERATE}`."""',
             "", "PINS = {"]
    for name, files in pins.items():
        lines.append(f"    {name!r}: {{")
        lines += [f"        {f!r}: {digest!r}," for f, digest in files.items()]
        lines.append("    },")
    text = "\n".join(lines + ["}", ""])
    with atomic_path(module_path) as tmp, open(tmp, "w") as f:
        f.write(text)
    return pins


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog=REGENERATE, description="Pin (or check) the sha256 of the built-in presets.")
    p.add_argument("--check", action="store_true", help="list the differences and exit 1 if any; write nothing")
    args = p.parse_args(argv)
    if args.check:
        lines = differences()
        print("\n".join(lines) if lines else "every built-in preset matches its pins")
        return 1 if lines else 0
    pins = write_pins()
    print(f"pinned {sum(len(v) for v in pins.values())} files of {len(pins)} presets in {PINS_MODULE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
