"""Every relative link and image in README.md and docs/*.md points at a file that exists, and at a heading there."""

from __future__ import annotations

import glob
import os
import re

import pytest

from tests.conftest import ROOT

PAGES = [os.path.join(ROOT, "README.md"), os.path.join(ROOT, "BENCHMARKS.md")] + sorted(
    glob.glob(os.path.join(ROOT, "docs", "*.md")))
LINK = re.compile(r"\]\(([^)\s]*)\)")
FENCE = re.compile(r"^ *```.*?^ *```", re.M | re.S)


def anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped (not - or _), spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path: str) -> set[str]:
    with open(path, encoding="utf-8") as f:
        text = FENCE.sub("", f.read())
    return {anchor(m[1]) for m in re.finditer(r"^#+ (.*)$", text, re.M)}


def test_anchor_follows_github():
    assert anchor("VAE (vae_utkface_64 + vae_encoder_utkface_64): spectrum, directions, restoration") == \
        "vae-vae_utkface_64--vae_encoder_utkface_64-spectrum-directions-restoration"


@pytest.mark.parametrize("page", PAGES, ids=[os.path.relpath(p, ROOT) for p in PAGES])
def test_links_resolve(page):
    with open(page, encoding="utf-8") as f:
        text = FENCE.sub("", f.read())
    broken = []
    for target in LINK.findall(text):
        if re.match(r"^[a-z]+:", target):
            continue  # http(s), mailto
        path, _, fragment = target.partition("#")
        full = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
        if not os.path.exists(full):
            broken.append(f"{target}: no such file")
        elif fragment and full.endswith(".md") and fragment not in anchors(full):
            broken.append(f"{target}: no heading with that anchor")
    assert not broken, f"{os.path.relpath(page, ROOT)}: " + "; ".join(broken)
