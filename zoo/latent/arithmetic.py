"""``zoo.latent arithmetic``: latent arithmetic on real faces, A - B + C (Radford et al.'s Fig. 7; the latent
arithmetic figure of the VAE / GAN / VAE-GAN report).

Each term is the mean latent of ``--per-term`` test faces that match its label rules (``gender=0&age>=60``: old
men). Averaging several faces per term keeps the concept and cancels the individuals, as the DCGAN paper averaged
three exemplars. The faces' latents come from the VAE's encoder (``--encoder``) or, for a GAN, from a projection of
each face (``--projection-steps``). The figure shows each term's faces beside its decoded mean, then C's faces moved
by A - B beside the decoded A - B + C. With ``--measure TASK@CLASSIFIER`` (repeatable), each classifier scores every
image, so the report says whether the result took the attribute of A and kept the one of C.
"""

from __future__ import annotations

import numpy as np

from zoo.latent import figures
from zoo.latent.commands import classifier_scores, generator, out_path
from zoo.latent.data import label_rule, real_images
from zoo.latent.lacking import real_latents
from zoo.latent.models import AttributeClassifier, LatentError

TERMS = ("a", "b", "c")


def term_mask(labels: dict, rules: str) -> np.ndarray:
    """Faces matching every rule of ``rules`` (``&``-joined ``zoo.latent.data.label_rule`` rules) [N] bool."""
    return np.logical_and.reduce([label_rule(labels, r) for r in rules.split("&")])


def pick_terms(images, labels: dict, rules: dict, per_term: int) -> dict:
    """{term: the first ``per_term`` faces matching its rules}; too few is an error naming the term."""
    out = {}
    for term, rule in rules.items():
        found = np.flatnonzero(term_mask(labels, rule))
        if len(found) < per_term:
            raise LatentError(f"--{term} {rule!r}: {len(found)} of the {len(images)} faces drawn match, "
                              f"--per-term needs {per_term}; draw more (--count) or loosen the rule")
        out[term] = images[found[:per_term]]
    return out


def cmd_arithmetic(args) -> dict:
    gen = generator(args)
    images, labels, info = real_images(args, gen)
    rules = {t: getattr(args, t) for t in TERMS}
    faces = pick_terms(images, labels, rules, args.per_term)
    found = {t: real_latents(args, gen, f) for t, f in faces.items()}
    latents, how = {t: z for t, (z, _) in found.items()}, found["a"][1]
    means = {t: z.mean(0, keepdims=True) for t, z in latents.items()}
    offset = means["a"] - means["b"]
    decoded_means = {t: gen(m) for t, m in means.items()}
    result = gen(means["c"] + offset)
    moved = gen(latents["c"] + offset)
    show = min(args.show, args.per_term)
    rows = [np.concatenate([faces[t][:show], decoded_means[t]]) for t in TERMS]
    rows.append(np.concatenate([moved[:show], result]))
    figures.plot_image_grid(out_path(args, "arithmetic.png"), np.concatenate(rows), 4, ["A", "B", "C", "C + (A - B)"],
                            [f"face {i + 1}" for i in range(show)] + ["decoded mean"],
                            title=f"{args.model}: A - B + C, {args.per_term} test faces per term, {how}\n"
                                  + "; ".join(f"{t.upper()}: {rules[t]}" for t in TERMS))
    report = {"terms": rules, "per_term": args.per_term, "data": info, "latents": how, "measured": {}}
    for spec in args.measure or []:
        task, _, clf_name = spec.partition("@")
        clf = AttributeClassifier(clf_name)
        score = lambda x: classifier_scores(clf, x, task)  # noqa: E731 - one use per image set below
        report["measured"][spec] = {
            **{f"{t}_faces": float(score(faces[t]).mean()) for t in TERMS},
            **{f"{t}_decoded_mean": float(score(decoded_means[t])[0]) for t in TERMS},
            "c_faces_moved": float(score(moved).mean()), "result": float(score(result)[0])}
    return report
