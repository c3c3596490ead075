"""The table of a GAN ablation (``python -m bench.gan_ablation``) from its shipped ``docs/data/gan_ablation_*.json``,
for the ``<!-- generated:gan-ablation NAME -->`` blocks of the docs."""

from __future__ import annotations

import json
import os

SPACE_NAMES = {"classifier_gender_utkface_48": "grey", "face_embedding": "face", "classifier_multitask_utkface_64_colour": "colour"}


def load(docs_dir: str, name: str) -> dict:
    path = os.path.join(docs_dir, "data", f"gan_ablation_{name}.json")
    with open(path) as f:
        return json.load(f)


def _augment(facts: dict) -> str:
    if facts["augment"] == "ada":
        return f"ADA (p at the end {facts.get('augment_p', float('nan')):.3f})"
    return {"none": "none", "diffaugment": f"DiffAugment ({facts['diffaugment_policy']})"}.get(
        facts["augment"], facts["augment"])


def _loss(facts: dict) -> str:
    """Paper 002's loss of an arm with its setting (``recipes.celeba_gan``); "" for a run without one."""
    loss = facts.get("loss")
    if loss is None:
        return ""
    label = {"plain": "plain (BCE)", "l2": f"L2, lambda {facts.get('l2_weight')}",
             "wgan": f"WGAN, clip {facts.get('clip_value')}", "wgan_gp": f"WGAN-GP, lambda {facts.get('gp_weight')}"
             }.get(loss, loss)
    epsilon = facts.get("d_batch_norm_epsilon")  # absent from runs before the flag: Keras' 1e-3
    return label if epsilon in (None, 1e-3) else f"{label}, D batch-norm epsilon {epsilon:g}"


def render(result: dict) -> str:
    """The markdown table: one row per arm and generator (trained, EMA), chosen on validation, measured on test."""
    spaces = list(result["test"])
    tags = [SPACE_NAMES.get(s, s) for s in spaces]
    facts_all = result["arms"].values()
    starts = any(f.get("init_from") for f in facts_all)
    losses = len({_loss(f) for f in facts_all}) > 1
    augments = not losses or any(f.get("augment", "none") != "none" for f in facts_all)
    by_images = result.get("equal") == "images"
    head = (["start"] * starts + ["loss"] * losses + ["augmentation"] * augments
            + ["generator", "chosen step" + " / of" * by_images, f"validation FD[{tags[0]}]"])
    for t in tags:
        head += [f"FD[{t}]", f"KID[{t}]", f"precision / recall [{t}]"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for arm, ws in result["choose"]["arms"].items():
        for w in ("trained", "ema"):
            facts = result["arms"][arm]
            cells = [f"`{os.path.basename(facts['init_from'].rstrip('/'))}`" if facts.get("init_from")
                     else "scratch"] * starts
            cells += [_loss(facts)] * losses + [_augment(facts)] * augments
            cells += ["EMA" if w == "ema" else "trained",
                      f"{ws[w]['step']:,}" + f" / {facts['steps']:,}" * by_images, f"{ws[w]['validation_fd']:.2f}"]
            for s in spaces:
                r = result["test"][s]["rows"][f"{arm}/{w}"]
                cells += [f"{r['fd']:.3g}", f"{r['kid']:.4f}", f"{r['precision']:.2f} / {r['recall']:.2f}"]
            lines.append("| " + " | ".join(cells) + " |")
    cells = [""] * starts + ["real faces (the floor)"] + [""] * (losses + augments + 2)
    for s in spaces:
        r = result["test"][s]["floor"]
        cells += [f"{r['fd']:.3g}", f"{r['kid']:.4f}", f"{r['precision']:.2f} / {r['recall']:.2f}"]
    lines.append("| " + " | ".join(cells) + " |")
    any_facts = next(iter(result["arms"].values()))
    whole = "the split's train part" if any_facts.get("train_on") == "train" else "every face of the dataset"
    subset = f"a seeded {any_facts['train_images']:,} of {whole}" if any_facts.get("train_images") else whole
    if any_facts.get("train_on") != "train" and any_facts.get("data_dir"):
        subset = f"the faces of `{any_facts['data_dir']}`"
    test = result["test"][spaces[0]]
    if test.get("split", "test") == "test":
        where = (f"{result['choose']['n']:,} validation faces", f"{test['n']:,} test faces", "")
    else:
        where = (f"up to {result['choose']['n']:,} faces of `{result['choose']['real']}`",
                 f"up to {test['n']:,} faces of `{test['real']}`", f", the floor against `{test['floor_set']}`")
    budget = (f"{any_facts['images']:,} real images (the same epochs) per arm, in batches of {any_facts['batch_size']},"
              if by_images else f"{any_facts['steps']:,} generator steps of batch {any_facts['batch_size']} per arm")
    lines += ["", f"{budget} on {subset}; "
              f"checkpoints chosen on {where[0]} by FD[{tags[0]}], measured on {where[1]}{where[2]} (spaces: "
              + ", ".join(f"{t} = {s}" for t, s in zip(tags, spaces)) + ")."]
    return "\n".join(lines) + "\n"
