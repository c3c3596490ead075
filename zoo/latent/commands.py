"""The CLI's commands over a generator's latent space: pca, grid, sample, attribute, directions, edit.

Each takes the parsed arguments and returns the JSON-able dict of its numbers; figures go to ``args.out``.
"""

from __future__ import annotations

import os
import re

import numpy as np

from zoo.latent import attributes, figures
from zoo.latent import pca as pca_lib
from zoo.latent.data import label_rule, load_images, real_images
from zoo.latent.directions import DirectionSet, direction_set
from zoo.latent.models import (AttributeClassifier, Generator, LatentError, check_pair, encode, fingerprint,
                               is_diffusion, refuse_diffusion)


def load_model(spec: str):
    """A preset name or folder, or an exported ``.onnx`` generator file."""
    if spec.endswith(".onnx"):
        from export.runtime import OnnxGenerator

        if not os.path.isfile(spec):
            raise LatentError(f"ONNX file not found: {spec}")
        return OnnxGenerator(spec)
    from zoo.latent.models import load

    return load(spec)


def generator(args) -> Generator:
    """The --model as a Generator of --space; an --encoder given with it must be that decoder's own. A diffusion
    --model is its own encoder (DDIM inversion): ``args.encoder`` becomes the model, another encoder is refused."""
    if isinstance(getattr(args, "encoder", None), str) and isinstance(args.model, str):
        check_pair(args.encoder, args.model)
    gen = Generator(load_model(args.model), getattr(args, "space", "z"))
    if is_diffusion(gen.model) and "encoder" in vars(args):
        if args.encoder not in (None, args.model, gen.model):
            raise LatentError(f"--encoder {args.encoder}: the diffusion model {args.model} is its own encoder (DDIM "
                              "inversion); leave --encoder out")
        args.encoder = gen.model
    return gen


def out_path(args, name: str) -> str:
    """``args.out/name``, the folder created if needed: where a command writes its figures and files."""
    os.makedirs(args.out, exist_ok=True)
    return os.path.join(args.out, name)


def fit_space(args, gen: Generator):
    """``(LatentPCA, how)``: from the encoder's posterior means of real images, the stored direction set's PCA,
    the generator's first activations (GANSpace for z-only GANs) or sampled latents."""
    refuse_diffusion(gen.model, "a PCA of the latent space")
    if getattr(args, "encoder", None):
        images, _, info = real_images(args, gen)
        return pca_lib.fit_pca(encode(args.encoder, images)), {"source": "encoder posterior means", **info,
                                                               "encoder": args.encoder}
    if getattr(args, "directions", None):
        ds = direction_set(args.directions, gen.model)
        if ds.pca is None:
            raise LatentError(f"the direction set of {args.directions} has no PCA")
        return ds.pca, {"source": f"direction set of {args.directions}", **ds.pca_info}
    z = gen.sample_latents(args.samples, args.seed)
    # GANSpace's PCA of the first layer's activations for every z-only GAN (a PCA of sampled z is only the
    # spectrum of N(0, I)); --no-activations asks for that one anyway
    if getattr(args, "activations", None) or (getattr(args, "activations", None) is None and gen.has_first_layer):
        k = min(args.samples, gen.latent_dim)
        return pca_lib.fit_pca_through_activations(z, gen.first_activations(z), k), {
            "source": "first-layer activations regressed to z (GANSpace)", "samples": args.samples}
    return pca_lib.fit_pca(z.reshape(len(z), -1)), {"source": f"sampled {gen.space}", "samples": args.samples}


def cmd_pca(args) -> dict:
    if not args.model and not args.encoder:
        raise LatentError("pca needs at least one --model (generator) or --encoder (VAE, with --data)")
    spectra, report = {}, {}
    for m in args.model or []:
        gen = Generator(load_model(m), args.space)
        refuse_diffusion(gen.model, "pca")
        p, how = fit_space(_with(args, model=m, encoder=None), gen)
        used = "activations" if how["source"].startswith("first-layer activations") else gen.space
        name = f"{os.path.basename(os.path.normpath(m))} ({used})"
        spectra[name], report[name] = p.explained_variance_ratio, {**p.summary(args.top), **how}
    for e in args.encoder or []:
        enc = load_model(e)
        refuse_diffusion(enc, "pca")
        images, _, info = load_images(args.data, args.data_dir, args.count, args.image_size, 3, args.split, args.seed)
        p = pca_lib.fit_pca(encode(enc, images))
        name = f"{os.path.basename(os.path.normpath(e))} (posterior means)"
        spectra[name], report[name] = p.explained_variance_ratio, {**p.summary(args.top), **info}
    figures.plot_spectra(out_path(args, "pca_spectrum.png"), spectra, top=args.top)
    return {"models": report}


def _with(args, **kw):
    import argparse

    return argparse.Namespace(**{**vars(args), **kw})


def _base(args, gen: Generator):
    """The latent whose other coordinates a grid holds: None (the PCA mean), seed index --at's latent, or with
    --encoder the posterior mean of the first real image."""
    if args.at == "mean":
        return None
    if args.encoder:
        return encode(args.encoder, real_images(args, gen)[0][:1])[0]
    return gen.sample_latents(int(args.at) + 1, args.seed)[int(args.at)].reshape(-1)


def cmd_grid(args) -> dict:
    gen = generator(args)
    if gen.space == "w+":
        raise LatentError("grid edits w; use --space w (with --layers for a layer range)")
    p, how = fit_space(args, gen)
    comps = [int(c) for c in args.components.split(",")]
    if max(comps) >= len(p.stds):
        raise LatentError(f"--components {args.components}: this PCA has {len(p.stds)} components (0 to "
                          f"{len(p.stds) - 1})")
    base = _base(args, gen)
    latents = pca_lib.eigen_grid_latents(p, base, comps, args.steps, args.span)
    if args.layers:  # GANSpace's layer-wise edit: the edited w on layers start:stop, the base w elsewhere
        if gen.space != "w":
            raise LatentError("--layers needs a StyleGAN and --space w")
        start, stop = (int(v) for v in args.layers.split(":"))
        if not 0 <= start < stop <= gen.model.num_ws:
            raise LatentError(f"--layers {args.layers} is outside 0:{gen.model.num_ws}")
        ws = np.repeat((p.mean if base is None else base)[None, None].astype(np.float32), len(latents), 0)
        ws = np.repeat(ws, gen.model.num_ws, 1)
        ws[:, start:stop] = latents[:, None]
        images = Generator(gen.model, "w+")(ws)
    else:
        images = gen(latents)
    cols = [f"{v:+.1f} sd" for v in np.linspace(-args.span, args.span, args.steps)]
    figures.plot_image_grid(out_path(args, "eigen_grid.png"), images, len(comps), [f"PC{c}" for c in comps], cols,
                            title=f"{args.model}: {how['source']}")
    return {"components": comps, "stds": [float(p.stds[c]) for c in comps], "span": args.span,
            "layers": args.layers, "pca": how, **p.summary(len(comps))}


def cmd_sample(args) -> dict:
    gen = generator(args)
    p, how = fit_space(args, gen)
    k = args.num_components or len(p.stds)
    latents = pca_lib.pca_sample(p, args.count_samples, k, args.seed)
    figures.plot_image_grid(out_path(args, "pca_samples.png"), gen(latents), int(np.sqrt(args.count_samples)),
                            title=f"PCA sampling, {k} components")
    return {"num_components": k, "pca": how}


def classifier_scores(clf: AttributeClassifier, images, task: str):
    """``clf``'s scores [N] of images for ``task`` (``ethnicity:K``: P(class K))."""
    s = clf.scores(images, task.split(":")[0])
    if ":" in task:  # ethnicity:K -> P(class K)
        s = s[:, int(task.split(":")[1])]
    return s


def edit_response(gen: Generator, latents, direction, intensities, clf=None, task=None) -> tuple:
    """Images [N, T, ...] of latents moved along ``direction``, and the classifier's scores [N, T] if given."""
    moved = attributes.apply(latents, direction, intensities)
    n, t = moved.shape[:2]
    images = gen(moved.reshape(n * t, *moved.shape[2:]))
    scores = classifier_scores(clf, images, task).reshape(n, t) if clf is not None else None
    return images, scores


def _response_report(intensities, scores, task):
    if scores is None:
        return {}
    what = {"gender": "P(female)", "age": "predicted age (years)"}.get(task.split(":")[0], f"P({task})")
    return {"classifier_output": what, "intensities": list(map(float, intensities)),
            "mean_per_step": scores.mean(0).tolist(), "std_per_step": scores.std(0).tolist(),
            "change_end_to_end": float(scores[:, -1].mean() - scores[:, 0].mean())}


def find_direction(args, gen: Generator):
    """``(direction, report)`` by InterFaceGAN on a classifier's scores of generated images, or by the mean
    difference of encoded real images split by a label rule (with a linear SVM's held-out accuracy)."""
    refuse_diffusion(gen.model, "an attribute direction")
    if args.encoder:
        images, labels, info = real_images(args, gen)
        y = label_rule(labels, args.label)
        lat = encode(args.encoder, images)
        # The vector shipped is the train part's mean difference, and the accuracy reported is that vector's
        # (its threshold fitted on the train part, scored on the held-out part), not another classifier's.
        x_tr, x_te, y_tr, y_te = attributes.split(lat, y, seed=args.seed)
        direction = attributes.mean_difference(x_tr, y_tr)
        svm = attributes.svm_direction(lat, y, seed=args.seed)
        return direction, {"method": "mean difference of posterior means (train part)", "label": args.label,
                           "positives": int(y.sum()), "examples": int(len(y)),
                           **attributes.threshold_accuracy(direction, x_tr, y_tr, x_te, y_te),
                           "svm_normal_not_shipped": {**svm.report(), "cosine_with_shipped": float(
                               svm.direction @ direction / np.linalg.norm(direction))}, **info}
    if not args.classifier:
        raise LatentError("attribute needs --classifier (InterFaceGAN on generated images) or --encoder with "
                          "--data and --label")
    clf = AttributeClassifier(args.classifier)
    z = gen.sample_latents(args.samples, args.seed)
    scores = classifier_scores(clf, gen(z), args.task)
    b = attributes.from_scores(z.reshape(len(z), -1), scores, args.chosen_fraction, seed=args.seed)
    return b.direction, {"method": "InterFaceGAN linear SVM on classifier scores", "classifier": args.classifier,
                         "task": args.task, "samples": args.samples, "chosen_fraction": args.chosen_fraction,
                         "score_mean": float(scores.mean()), **b.report()}


def _intensities(args):
    return np.linspace(-args.max_intensity, args.max_intensity, args.edit_steps)


def cmd_attribute(args) -> dict:
    gen = generator(args)
    direction, report = find_direction(args, gen)
    ds = DirectionSet(gen.space, gen.latent_dim, meta=set_meta(args, gen))
    name = args.name or (args.task if not args.encoder else args.label)
    ds.add(name, direction, **report)
    ds.save(args.out)
    report.update(edit_figure(args, gen, direction, name))
    return {"direction": name, **report}


def edit_figure(args, gen, direction, name, latents=None, caption: str = "", identity: bool = False) -> dict:
    """The edit grid (and, with ``--classifier``, its response plot) of ``direction`` from ``latents`` (default:
    ``--edit-count`` sampled ones), ``caption`` a second title line; returns the report's ``edit`` entry and, with
    ``identity``, its ``edit_identity`` (each edit's identity distance from the unedited face per intensity, with
    the figure edit_<name>_identity.png beside the classifier's response)."""
    t = _intensities(args)
    latents = gen.sample_latents(args.edit_count, args.seed + 1) if latents is None else latents
    clf = AttributeClassifier(args.classifier) if args.classifier else None
    task = args.task if clf is not None else None
    images, scores = edit_response(gen, latents, direction, t, clf, task)
    labels = [f"{v:+.2g}" for v in t]
    ylabel = _response_report(t, scores, task)["classifier_output"] if scores is not None else None
    if scores is not None:
        means = [f"{s:.0f}y" if task == "age" else f"{s:.2f}" for s in scores.mean(0)]
        labels = [f"{a}\n{b}" for a, b in zip(labels, means)]  # the classifier's mean over the rows
        figures.plot_edit_response(out_path(args, f"edit_{name}_response.png"), t, {name: scores}, ylabel,
                                   f"edit along {name}")
    figures.plot_image_grid(out_path(args, f"edit_{name}.png"), images, len(latents), col_labels=labels,
                            title=f"{args.model}: {name}" + (f"\n{caption}" if caption else ""))
    out = {"edit": _response_report(t, scores, task) if scores is not None else {"intensities": t.tolist()}}
    if identity:
        from zoo.latent.identity_report import edit_identity

        out["edit_identity"], distances = edit_identity(gen(latents), images, t)
        if distances is not None:
            figures.plot_edit_identity(out_path(args, f"edit_{name}_identity.png"), t, distances,
                                       {name: scores} if scores is not None else None, ylabel, f"edit along {name}")
    return out


def cmd_edit(args) -> dict:
    gen = generator(args)
    refuse_diffusion(gen.model, "edit along a direction")
    ds = direction_set(args.directions, gen.model, encoder=args.encoder if args.image or args.lacking else None)
    direction = ds[args.direction]
    if args.condition:
        direction = attributes.condition(direction, *(ds[c] for c in args.condition.split(",")))
    latents, photo = None, {}
    if args.latent:
        with np.load(args.latent, allow_pickle=False) as f:
            latents = f["latent"]
        if latents.size != int(np.prod(gen.latent_shape)):
            raise LatentError(f"--latent {args.latent}: a latent of shape {latents.shape}, but {args.model} takes "
                              f"{gen.latent_shape} ({gen.space})")
        latents = latents.reshape(1, *gen.latent_shape)
    elif args.image:
        from zoo.latent.data import photo_caption, read_photo

        if not args.encoder:
            raise LatentError("editing a photo needs --encoder (or project it first and pass --latent)")
        from zoo.latent.identity_report import caption as identity_caption, photo_identity

        read = read_photo(args.image, gen.model.image_size, gen.model.channels, args.align)
        latents, photo = encode(args.encoder, read.x), {"image": args.image, "photo": read.record()}
        photo["identity"] = photo_identity(read.x, gen(latents), "encoding")
    elif args.lacking:
        from zoo.latent.lacking import lacking_faces

        latents, photo = lacking_faces(args, gen, direction)
    caption = photo_caption(args.align).replace("photos", "photo") if "photo" in photo else ""
    if "photo" in photo:
        caption += f"; {identity_caption(photo['identity'])}"
    elif args.lacking:
        caption = photo["caption"]
    return {"direction": args.direction, "condition": args.condition, **photo,
            **edit_figure(args, gen, direction, args.direction, latents, caption, identity=True)}


def set_meta(args, gen: Generator) -> dict:
    """What a direction set records of where it belongs: the model and encoder, with their weights' sha256
    (``direction_set`` refuses the set with any other), and the seed."""
    encoder = getattr(args, "encoder", None)
    return {"model": args.model, "model_fingerprint": fingerprint(gen.model), "encoder": encoder,
            "encoder_fingerprint": fingerprint(encoder) if encoder else None, "seed": args.seed}


def encoder_task(rule: str) -> str:
    """The classifier task that measures an edit along a label rule's direction: ``gender`` -> gender,
    ``age>=40`` -> age, ``race=2`` -> ethnicity:2 (P(class 2); the classifier's ethnicity head scores 5 classes)."""
    column = re.split(r"[<>=:]", rule)[0]
    if column == "race":
        value = rule[len(column):].lstrip("=")
        if not value.isdigit():
            raise LatentError(f"{rule!r}: a race direction needs one class, as race=K (K in 0-4)")
        return f"ethnicity:{int(value)}"
    return column


def cmd_directions(args) -> dict:
    """A direction set: the PCA of the space and one direction per ``--tasks`` entry, saved to --out.

    Entries are ``WHAT@CLASSIFIER``. Without --encoder WHAT is a classifier task (gender, age, ethnicity:K) and
    the direction is InterFaceGAN's on that classifier's scores of generated images; with --encoder WHAT is a
    label rule on the real images (gender, age>=40, race=2) and the direction the mean difference of their
    posterior means, CLASSIFIER then only measures the edit (its task: the rule's column, gender or age).
    """
    gen = generator(args)
    p, how = fit_space(args, gen)
    ds = DirectionSet(gen.space, gen.latent_dim, pca=p, pca_info=how, meta=set_meta(args, gen))
    for spec in args.tasks.split(",") if args.tasks else []:
        what, _, preset = spec.partition("@")
        column = re.split(r"[<>=:]", what)[0]
        task = encoder_task(what) if args.encoder else what
        name = (column if column != "race" else task.replace("ethnicity:", "race_")) if args.encoder \
            else what.replace(":", "_")
        sub = _with(args, task=task, label=what, classifier=preset or args.classifier)
        direction, report = find_direction(sub, gen)
        report.update(edit_figure(sub, gen, direction, name))
        ds.add(name, direction, **report)
    ds.save(args.out)
    return {"space": gen.space, "pca": {**p.summary(10), **how}, "directions": ds.info}
