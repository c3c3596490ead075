"""python -m docs.generate [--check]: rewrite the generated blocks of docs/*.md from the shipped files.

A block is the text between ``<!-- generated:KIND [ARGS] -->`` and ``<!-- /generated -->``; its body is replaced by
what KIND renders from the preset folders (zoo/presets/*/metadata.json, directions.json, directions.npz), so a
figure that comes from a shipped file has one source, and a retrained preset or a regenerated direction set changes
the pages by running this command. A block whose opening ends its line renders lines; one inside a line (``value``)
renders a single figure in place:

    presets              generative presets: data, training, FD / KID with n, repeats and floor, target, licence
    classifier-presets   classifier presets: tasks, input, test metrics, weights size, licence
    directions PRESET    a preset's attribute directions: held-out accuracy, the classifier along the edit
    pca                  every direction set's PCA: source, top component's share, components for 90 %
    value PRESET FILE:FIELD FORMAT
                         one figure: FIELD (dotted) of the preset's FILE.json, with a Python format spec,
                         e.g. value classifier_age_utkface_48 metadata:metrics.test.age_mae .2f
    preset-spaces SPLIT  generative presets against SPLIT's faces in every feature space they were measured in
                         (python -m zoo.preset_distance --split SPLIT), floor, rank agreement; a record
                         measured on other weights is an error naming its command
    gan-ablation NAME    a GAN ablation's table, from docs/data/gan_ablation_NAME.json (python -m bench.gan_ablation)
    vae-grid NAME        paper 003's M(d, beta) grid: held-out reconstruction and restoration, from
                         docs/data/vae_grid_NAME.json (python -m bench.vae_grid)
    export-parity        ONNX / SavedModel parity per preset part, from docs/data/export_parity.json
                         (python -m bench.export_parity); a preset whose weights changed since it was
                         measured is an error naming the command that re-measures it

--check rewrites nothing: it lists the stale blocks and exits 1 (0 when every page is current). An unknown
KIND or preset, or an unclosed block, is a one-line error and exit 2.
"""

from __future__ import annotations

import argparse
import glob
import importlib
import json
import os
import re
import sys

import numpy as np

PROG = "python -m docs.generate"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BLOCK = re.compile(r"(<!-- generated:(?P<spec>[^>]*?) -->(?P<newline>\n?))(?P<body>.*?)(<!-- /generated -->)", re.S)
OPENING = re.compile(r"<!-- generated:")

# Targets for FD[classifier_gender_utkface_48] at 2,000 x 3: a preset meets its target when the distance recorded
# in its metadata is at or under it. Issue 28's (the retrained GAN presets) where it set one, else issue 18's;
# presets not listed had none set.
TARGETS = {"wgan_gp_utkface_64": 6.0, "dcgan_utkface_64": 4.0, "vae_utkface_64": 70.0,
           "vae_gan_utkface_64": 40.0, "stylegan_utkface_32": 12.0, "progan_utkface_32": 15.0}
FD_KEY = "FD[classifier_gender_utkface_48]"
KID_KEY = "KID[classifier_gender_utkface_48]"


# Blocks rendered from a bench command's shipped JSON: kind -> (the module with load(docs_dir, name) and render(result),
# the command that measures it).
JSON_TABLES = {"gan-ablation": ("docs.ablation", "bench.gan_ablation"), "vae-grid": ("docs.vae_grid", "bench.vae_grid")}


class DocsError(ValueError):
    """A page or a shipped file that the generator cannot use (one sentence, exit 2)."""


def _metadata(presets_dir: str) -> dict:
    out = {}
    for path in sorted(glob.glob(os.path.join(presets_dir, "*", "metadata.json"))):
        with open(path, encoding="utf-8") as f:
            out[os.path.basename(os.path.dirname(path))] = json.load(f)
    return out


def _sig(x: float, digits: int = 2) -> str:
    """``x`` to ``digits`` significant digits, trailing zeros kept (0.20, not 0.2)."""
    return f"{x:#.{digits}g}".rstrip(".")


def _licence(meta: dict) -> str:
    return meta.get("licence", "not recorded").split(" (")[0]


def _companions(name: str, meta: dict, all_meta: dict) -> list[str]:
    """Parts packaged from the same checkpoint (an encoder beside its decoder): same recipe, steps and seconds."""
    key = (meta.get("recipe"), meta.get("steps_trained"), meta.get("train_seconds"))
    return [other for other, m in all_meta.items() if other != name and "face_feature_distance" not in m
            and m.get("recipe") and (m.get("recipe"), m.get("steps_trained"), m.get("train_seconds")) == key]


def render_presets(presets_dir: str) -> str:
    all_meta = _metadata(presets_dir)
    rows = ["| preset | model | data | training | FD ↓ (floor) | KID ↓ | target | licence |",
            "|---|---|---|---|---|---|---|---|"]
    for name, m in all_meta.items():
        fd = m.get("face_feature_distance")
        if not fd:
            continue
        parts = ", ".join(f"`{c}`" for c in _companions(name, m, all_meta))
        model = f"`{m['class_name']}`, {m['parameters'] / 1e6:.2f} M parameters" + (f" (+ {parts})" if parts else "")
        precision = m.get("config", {}).get("precision", "float32")
        training = (f"{m['steps_trained']:,} steps, {m['images_seen']:,} images, "
                    f"{m['train_seconds'] / 60:.0f} min" + ("" if precision == "float32" else f", {precision}"))
        d, k = fd[FD_KEY], fd[KID_KEY]
        distance = f"**{d['mean']:.1f}** ± {_sig(d['std'])} ({fd['real_vs_real_floor_FD']:.2f})"
        target = TARGETS.get(name)
        verdict = "none set" if target is None else f"<= {target:g}: {'met' if d['mean'] <= target else 'not met'}"
        rows.append(f"| `{name}` | {model} | {m['dataset']}, {m['resolution']} px | {training} | {distance} | "
                    f"{_sig(k['mean'], 3)} ± {_sig(k['std'])} | {verdict} | {_licence(m)} |")
    ns = sorted({(m["face_feature_distance"]["n"], m["face_feature_distance"]["repeats"])
                 for m in all_meta.values() if m.get("face_feature_distance")})
    runs = ", ".join(f"{n:,} samples x {r} repeats" for n, r in ns)
    return "\n".join(rows) + (f"\n\nFD and KID in `classifier_gender_utkface_48`'s features ({runs}, mean ± std over "
                              "repeats; the floor is another set of real faces in the same run), read from each "
                              "preset's `metadata.json` (`face_feature_distance`).\n")


_METRICS = (("gender_accuracy", "gender acc. {:.3f}"), ("ethnicity_accuracy", "ethnicity acc. {:.3f}"),
            ("age_mae", "age MAE {:.2f} years"), ("age_rmse", "RMSE {:.2f}"))


def render_classifier_presets(presets_dir: str) -> str:
    rows = ["| preset | tasks | input | test split | weights |", "|---|---|---|---|---|"]
    for name, m in _metadata(presets_dir).items():
        if "tasks" not in m:
            continue
        test = m.get("metrics", {}).get("test") or {}
        figures = ", ".join(fmt.format(test[key]) for key, fmt in _METRICS if key in test) or "not recorded"
        channels = "greyscale" if m.get("channels") == 1 else "colour"
        size = os.path.getsize(os.path.join(presets_dir, name, "weights.npz")) / 1e6
        split = m.get("split", {}).get("counts", {}).get("test")
        where = f" ({split:,} faces)" if split else ""
        rows.append(f"| `{name}` | {', '.join(m['tasks'])} | {m['resolution']}x{m['resolution']} {channels} | "
                    f"{figures}{where} | {size:.1f} MB, {m['weights_dtype']} |")
    return "\n".join(rows) + "\n"


def _directions(presets_dir: str, preset: str) -> tuple[dict, dict]:
    base = os.path.join(presets_dir, preset)
    try:
        with open(os.path.join(base, "directions.json"), encoding="utf-8") as f:
            info = json.load(f)
        arrays = np.load(os.path.join(base, "directions.npz"), allow_pickle=False)
    except FileNotFoundError as e:
        raise DocsError(f"{preset} has no direction set ({e.filename} is missing)") from None
    return info, {k: arrays[k] for k in arrays.files}


def _intensity(x: float) -> str:
    return f"{x:+.2f}".rstrip("0").rstrip(".") if x else "0"


def _found_by(d: dict) -> str:
    """How a direction was found, from the fields its set recorded (older and newer sets record different ones)."""
    how = d.get("method", "not recorded")
    if "label" in d:
        counted = f" ({d['positives']:,} of {d['examples']:,})" if "positives" in d and "examples" in d else ""
        how += f", `{d['label']}`{counted}"
    elif "classifier" in d:
        how += f", `{d['classifier']}`" + (f" on {d['samples']:,} samples" if "samples" in d else "")
    return how


def _accuracy(d: dict) -> str:
    svm = d.get("svm", d)
    if "heldout_accuracy" not in svm:
        return "not recorded"
    counts = f" ({svm['num_train']:,} / {svm['num_heldout']:,})" if "num_train" in svm and "num_heldout" in svm else ""
    return f"{svm['heldout_accuracy']:.3f}{counts}"


def _accuracy_meaning(info: dict) -> str:
    """What the held-out accuracy of a set measures: the shipped vector's own, or (older sets) a separate SVM's."""
    kinds = {("svm" in d, "threshold" in d) for d in info["directions"].values()}
    if kinds == {(False, True)}:
        return "the shipped vector's own (projection threshold fitted on the train part)"
    if kinds == {(True, False)}:
        return "a separate linear SVM's, not the shipped mean difference's"
    return "the linear SVM's whose unit normal is shipped"


def _along(edit: dict | None) -> str:
    if not edit or "mean_per_step" not in edit:
        return "not measured"
    output = edit.get("classifier_output", "classifier output")
    fmt = "{:.2f}" if "P(" in output else "{:.0f}"
    return f"{output} at " + ", ".join(f"{_intensity(i)}: {fmt.format(v)}" for i, v in
                                        zip(edit["intensities"], edit["mean_per_step"]))


def render_directions(presets_dir: str, preset: str) -> str:
    info, arrays = _directions(presets_dir, preset)
    names = list(info["directions"])
    rows = ["| direction | found by | held-out accuracy | classifier output along the edit, mean per step |",
            "|---|---|---|---|"]
    rows += [f"| {name} | {_found_by(d)} | {_accuracy(d)} | {_along(d.get('edit'))} |"
             for name, d in info["directions"].items()]
    text = "\n".join(rows) + "\n"
    vectors = [arrays[f"direction/{n}"] for n in names[:2] if f"direction/{n}" in arrays]
    if len(vectors) == 2:
        a, b = vectors
        cosine = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
        text += f"\nIn {info.get('space', 'z')} ({a.shape[0]} dimensions); cosine between {names[0]} and " \
                f"{names[1]}: {cosine:.2f}. Held-out accuracy: {_accuracy_meaning(info)}, on (train / held-out) " \
                f"latents.\n"
    return text


def render_pca(presets_dir: str) -> str:
    rows = ["| direction set | PCA of | latents | top component's share | components for 90 % | dimensions |",
            "|---|---|---|---|---|---|"]
    for path in sorted(glob.glob(os.path.join(presets_dir, "*", "directions.json"))):
        preset = os.path.basename(os.path.dirname(path))
        info, arrays = _directions(presets_dir, preset)
        ratio = arrays.get("pca/explained_variance_ratio")
        if ratio is None:
            continue
        cumulative = np.cumsum(ratio)
        k90 = str(int(np.searchsorted(cumulative, 0.9) + 1)) if cumulative[-1] >= 0.9 else "not reached"
        pca = info.get("pca", {})
        count = pca.get("samples") or pca.get("images")
        rows.append(f"| `{preset}` | {pca.get('source', 'not recorded')} | {count:,} | {100 * ratio[0]:.1f} % | "
                    f"{k90} | {ratio.shape[0]} |")
    return "\n".join(rows) + "\n"


def render_value(presets_dir: str, preset: str, field: str, fmt: str) -> str:
    name, _, path = field.partition(":")
    if name not in ("metadata", "directions") or not path:
        raise DocsError(f"value {preset} {field}: expected metadata:FIELD or directions:FIELD")
    try:
        with open(os.path.join(presets_dir, preset, name + ".json"), encoding="utf-8") as f:
            value = json.load(f)
    except FileNotFoundError as e:
        raise DocsError(f"value {preset} {field}: {e.filename} is missing") from None
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            raise DocsError(f"value {preset} {field}: {name}.json has no field {path!r}")
        value = value[key]
    return format(value, fmt)


PARITY_FILE = os.path.join("data", "export_parity.json")  # under the docs folder
PARITY_COMMAND = "python -m bench.export_parity"


def _diff(result: dict) -> str:
    return f"{result['max_abs_diff']:.3g}" + ("" if result["ok"] else " (over the limit)")


def _checked_on(descriptions: list[str]) -> str:
    """The parity batches in short: '8 random latents N(0, 1)' and '1 random latent N(0, 1)' become
    'random latents N(0, 1) (batch 8, 1)'; real or synthetic faces are kept as described."""
    random, other = {}, []
    for d in descriptions:
        m = re.fullmatch(r"(\d+) random (latent|image)s? (.*)", d)
        if m:
            random.setdefault(f"random {m[2]}s {m[3]}", []).append(m[1])
        else:
            other.append(d.replace("real images", "real faces"))
    return ", ".join([f"{what} (batch {', '.join(counts)})" for what, counts in random.items()] + other)


def render_export_parity(presets_dir: str, docs_dir: str) -> str:
    path = os.path.join(docs_dir, PARITY_FILE)
    try:
        with open(path, encoding="utf-8") as f:
            measured = json.load(f)["presets"]
    except FileNotFoundError:
        raise DocsError(f"export-parity: {path} is missing; `{PARITY_COMMAND}` writes it") from None
    all_meta = _metadata(presets_dir)
    rows = ["| preset | part (class: outputs) | checked on | ONNX max abs diff | SavedModel max abs diff |",
            "|---|---|---|---|---|"]
    dates, versions = set(), set()
    for name, entry in measured.items():
        if name not in all_meta:
            raise DocsError(f"export-parity: {path} records {name}, which is not a preset in {presets_dir}; "
                            "restore the preset or remove its entry")
        current = all_meta[name].get("weights_sha256")
        if entry.get("weights_sha256") != current:
            raise DocsError(f"export-parity: {name} was measured on weights {str(entry.get('weights_sha256'))[:12]}"
                            f", its weights_sha256 is now {str(current)[:12]}: re-measure with "
                            f"`{entry.get('command', f'{PARITY_COMMAND} {name}')}`, then run `{PROG}`")
        dates.add(entry["measured"])
        if "error" in entry:
            rows.append(f"| `{name}` | export failed: {entry['error'].replace('|', '/')} | | not measured | "
                        "not measured |")
            continue
        versions.add(", ".join(f"{k} {v}" for k, v in sorted(entry.get("versions", {}).items())))
        for part in entry["parts"]:
            rows.append(f"| `{name}` | {part['part']} (`{part['class_name']}`: {', '.join(part['outputs'])}) | "
                        f"{_checked_on(part['checked_on'])} | {_diff(part['onnx'])} | "
                        f"{_diff(part['savedmodel'])} |")
    missing = [n for n in all_meta if n not in measured]
    dates = sorted(dates)
    span = "nothing yet" if not dates else dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"
    text = "\n".join(rows) + (f"\n\nMeasured by `{PARITY_COMMAND}` ({span}; {'; '.join(sorted(versions))}), "
                              f"read from `docs/{PARITY_FILE}`; `{PROG}` refuses an entry whose preset's "
                              "weights_sha256 has changed since.")
    if missing:
        text += (f" Not measured: {', '.join(f'`{n}`' for n in missing)} (`{PARITY_COMMAND} {' '.join(missing)}` "
                 "measures them).")
    return text + "\n"


def render(spec: str, presets_dir: str, docs_dir: str | None = None) -> str:
    kind, _, arg = spec.strip().partition(" ")
    if kind == "export-parity" and not arg:
        return render_export_parity(presets_dir, docs_dir or os.path.join(ROOT, "docs"))
    if kind == "value" and len(arg.split()) == 3:
        return render_value(presets_dir, *arg.split())
    if kind == "presets" and not arg:
        return render_presets(presets_dir)
    if kind == "classifier-presets" and not arg:
        return render_classifier_presets(presets_dir)
    if kind == "pca" and not arg:
        return render_pca(presets_dir)
    if kind == "preset-spaces" and arg.strip() in ("validation", "test"):
        from docs.preset_spaces import render as render_spaces

        return render_spaces(_metadata(presets_dir), arg.strip(), DocsError)
    if kind in JSON_TABLES and arg:
        module, command = JSON_TABLES[kind]
        renderer = importlib.import_module(module)
        try:
            return renderer.render(renderer.load(docs_dir or os.path.join(ROOT, "docs"), arg.strip()))
        except OSError as e:
            raise DocsError(f"{kind} {arg.strip()}: {e}; run python -m {command}") from e
    if kind == "directions" and arg:
        return render_directions(presets_dir, arg.strip())
    raise DocsError(f"unknown generated block {spec!r}: expected presets, classifier-presets, pca, export-parity, "
                    "preset-spaces validation|test, gan-ablation NAME, vae-grid NAME, directions PRESET or value PRESET "
                    "FILE:FIELD FORMAT")


def regenerate(text: str, presets_dir: str, page: str = "page", docs_dir: str | None = None) -> tuple[str, list[str]]:
    """(the page with every block re-rendered, the specs of the blocks whose body changed)."""
    if len(OPENING.findall(text)) != len(BLOCK.findall(text)):
        raise DocsError(f"{page}: a '<!-- generated:... -->' block has no '<!-- /generated -->' after it")
    stale = []

    def replace(match):
        body = render(match["spec"], presets_dir, docs_dir)
        if not match["newline"]:
            body = body.strip()
        if body != match["body"]:
            stale.append(match["spec"].strip())
        return match.group(1) + body + match.group(5)

    return BLOCK.sub(replace, text), stale


def pages(docs_dir: str) -> list[str]:
    return sorted(glob.glob(os.path.join(docs_dir, "*.md")))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    p.add_argument("--check", action="store_true", help="list stale blocks and exit 1; write nothing")
    p.add_argument("--docs", default=os.path.join(ROOT, "docs"), help="folder of the pages")
    p.add_argument("--presets", default=os.path.join(ROOT, "zoo", "presets"), help="folder of the preset folders")
    args = p.parse_args(argv)
    stale_pages = []
    try:
        for page in pages(args.docs):
            with open(page, encoding="utf-8") as f:
                text = f.read()
            new, stale = regenerate(text, args.presets, os.path.relpath(page, ROOT), args.docs)
            if not stale:
                continue
            unique = list(dict.fromkeys(stale))
            stale_pages.append(f"{os.path.relpath(page, ROOT)}: " + ", ".join(unique[:6])
                               + (f" and {len(unique) - 6} more" if len(unique) > 6 else ""))
            if not args.check:
                tmp = page + ".tmp"
                with open(tmp, "w", encoding="utf-8") as f:
                    f.write(new)
                os.replace(tmp, page)
    except (ValueError, OSError, KeyError) as e:  # DocsError, a bad format spec or JSON file, an unreadable page
        print(f"{PROG}: {e if not isinstance(e, KeyError) else f'a shipped file lacks the field {e}'}",
              file=sys.stderr)
        return 2
    for line in stale_pages:
        print(("stale " if args.check else "rewrote ") + line)
    if args.check and stale_pages:
        print(f"run `{PROG}` to rewrite them", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
