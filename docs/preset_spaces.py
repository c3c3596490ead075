"""The ``preset-spaces SPLIT`` block of docs/generate.py: every generative preset against the faces of one part of
the presets' split, in every feature space it was measured in (``python -m zoo.preset_distance --split SPLIT``
records ``<split>_distances`` per extractor in each preset's metadata), with the real-vs-real floor and how far the
spaces agree on the ranking (Kendall's tau between their FD orders)."""

from __future__ import annotations

import itertools

# The spaces in the order a reader compares them; others follow by name.
SPACES = {"classifier_gender_utkface_48": "grey (gender classifier, 48 px)",
          "classifier_gender_utkface_64_colour": "colour (gender classifier, 64 px)",
          "face_embedding": "face embedding (dlib)"}
PROTOCOL = ("n", "repeats", "resolution")


def _records(metas: dict, split: str, error) -> tuple[dict, list[str]]:
    """{preset: {extractor: record}} of the presets measured on ``split``, and the extractors, in reading order.
    A record measured on other weights than the preset's is an error naming the command that re-measures it."""
    key = f"{split}_distances"
    out = {}
    for name, meta in sorted(metas.items()):
        for extractor, rec in (meta.get(key) or {}).items():
            if rec.get("weights_sha256") != meta.get("weights_sha256"):
                raise error(f"preset-spaces {split}: {name}'s {extractor} record was measured on other weights "
                            f"(weights_sha256 {str(rec.get('weights_sha256'))[:12]}, the preset's "
                            f"{str(meta.get('weights_sha256'))[:12]}); re-measure: {rec.get('command')}")
            out.setdefault(name, {})[extractor] = rec
    extractors = sorted({e for recs in out.values() for e in recs},
                        key=lambda e: (list(SPACES).index(e) if e in SPACES else len(SPACES), e))
    return out, extractors


def _fd_key(rec: dict) -> str:
    return next(k for k in rec if k.startswith("FD["))


def _cell(rec: dict | None, floor: bool = False) -> str:
    if rec is None:
        return "not measured"
    fd = _fd_key(rec)
    values = rec["floor"] if floor else {k: v["mean"] for k, v in rec.items() if isinstance(v, dict) and "mean" in v}
    text = f"{values[fd]:.3g}" if values[fd] < 1 else f"{values[fd]:.1f}"
    p, r = (next((values[k] for k in values if k.startswith(m + "[")), None) for m in ("precision", "recall"))
    if p is not None and r is not None:
        text += f" ({p:.2f} / {r:.2f})"
    return text


def kendall_tau(a: list[float], b: list[float]) -> float:
    """Kendall's tau-a between two score lists (pairs tied in either count as neither concordant nor discordant)."""
    pairs = list(itertools.combinations(range(len(a)), 2))
    s = sum((1 if (a[i] - a[j]) * (b[i] - b[j]) > 0 else -1 if (a[i] - a[j]) * (b[i] - b[j]) < 0 else 0)
            for i, j in pairs)
    return s / len(pairs) if pairs else float("nan")


def render(metas: dict, split: str, error) -> str:
    records, extractors = _records(metas, split, error)
    if not records:
        raise error(f"preset-spaces {split}: no preset records {split}_distances (python -m zoo.preset_distance "
                    f"--split {split} measures them)")
    for e in extractors:  # one table needs one protocol per space: the same n, repeats, side and floor
        recs = [r[e] for r in records.values() if e in r]
        protocols = {tuple(r.get(k) for k in PROTOCOL) + (tuple(sorted(r["floor"])),) for r in recs}
        floors = [[r["floor"][k] for k in sorted(r["floor"])] for r in recs]
        same_floor = all(abs(a - b) <= 1e-3 * max(abs(a), abs(b), 1e-9) for f in floors for a, b in zip(f, floors[0]))
        if len(protocols) > 1 or not same_floor:  # floors of separate runs agree to float noise, not beyond
            raise error(f"preset-spaces {split}: the {e} records differ in n, repeats, resolution or floor; measure "
                        f"the presets in one python -m zoo.preset_distance run")
    first = {e: next(r[e] for r in records.values() if e in r) for e in extractors}
    head = "| preset | " + " | ".join(f"FD, {SPACES.get(e, e)} (P / R)" for e in extractors) + " |"
    rows = [head, "|" + "---|" * (len(extractors) + 1)]
    order = sorted(records, key=lambda n: tuple(records[n][e][_fd_key(records[n][e])]["mean"] if e in records[n]
                                                else float("inf") for e in extractors))
    for name in order:
        rows.append(f"| `{name}` | " + " | ".join(_cell(records[name].get(e)) for e in extractors) + " |")
    rows.append("| real faces (the floor) | " + " | ".join(_cell(first[e], floor=True) for e in extractors) + " |")
    protocol = "; ".join(f"{SPACES.get(e, e)}: n {first[e]['n']:,} x {first[e]['repeats']}, "
                         f"{first[e]['resolution']} px" for e in extractors)
    text = "\n".join(rows) + f"\n\nRows sorted by the first space's FD. Protocol: {protocol}. P / R: precision and " \
                             f"recall (k = 3) where measured.\n"
    both = [n for n in records if all(e in records[n] for e in extractors)]
    if len(extractors) > 1 and len(both) > 2:
        taus = [f"{SPACES.get(a, a).split(' (')[0]} / {SPACES.get(b, b).split(' (')[0]} "
                f"{kendall_tau(*[[records[n][e][_fd_key(records[n][e])]['mean'] for n in both] for e in (a, b)]):.2f}"
                for a, b in itertools.combinations(extractors, 2)]
        text += (f"Rank agreement between the spaces' FD orders of the {len(both)} presets measured in all of them "
                 f"(Kendall's tau, 1 = the same order): {', '.join(taus)}.\n")
    return text
