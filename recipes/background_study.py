"""The background paper's experiment as one recipe (issue 17 part 2): for each background variant a VAE and a
GAN (DCGAN) trained on the same number of images, with distance curves against the matching real set, the PCA
spectra of their latent spaces and eigen-direction grids, and a report.md. ``--gan stylegan`` trains the
progressive StyleGAN instead of the DCGAN (distance per level, PCA of w).

    python -m recipes.background_study --data utkface --data-dir ../shared/data/utkface --mask-dir ../utkface_rembg --dry-run
    python -m recipes.background_study --data synthetic --image-size 16 --images 256 --eval-every 128

Fairness: every model sees ``images`` training images (``images // batch_size`` steps) whatever its background.
Distances: FID when InceptionV3 weights are present (``--extractor auto``), else the Frechet distance in a zoo
classifier's features, named FD[<preset>] in every output. Raw models are measured against raw reals, grey
against grey; with ``--train-on train`` the models train on the split's train part, the curves are measured on
its validation faces and each model's final distance on its test faces, in ``--extractor``'s space and each of
``--report-extractors`` (the colour classifier sees backgrounds, the grey one cannot). The size-adjusted distance
of the paper is the raw model's distance x (1 - r), with r the mean PNG
size reduction of the grey reals against the raw reals. PCA: the VAE's posterior means of real images (matching
background) and the DCGAN's first-layer activations regressed to z (GANSpace). A re-run with ``--resume``
continues from the last finished evaluation.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from typing import Literal

import numpy as np

from zoo.training.cli import RunOptions, holds_out

NAME = "background_study"
GANS = ("dcgan", "stylegan")
FALLBACK_EXTRACTOR = "classifier_gender_utkface_48"


@dataclasses.dataclass(frozen=True)
class Config(RunOptions):
    """Per background: a colour conv VAE and a DCGAN, 64 px, batch 64, the same image budget each."""

    # training images (synthetic: rendered faces, no download)
    data: Literal["utkface", "celeba", "ffhq", "synthetic"] = "utkface"
    data_dir: str | None = None  # dataset folder (UTKFace: or its .csv); default $FACEZOO_DATA/<data>, else data/<data>
    # background variants (raw, grey, blur), each with its own VAE and GAN
    backgrounds: tuple[str, ...] = ("raw", "grey")
    # the paper's progressive StyleGAN (4 px -> image_size, distance per level); dcgan: the cheaper option
    gan: Literal["dcgan", "stylegan"] = "stylegan"
    image_size: int = 64  # training image side, pixels
    latent_dim: int = 100  # size of the latent vector z of both models
    base_filters: int = 64  # convolution filters at full resolution in both models, doubled at each halving
    batch_size: int = 64  # images per training step
    images: int = 300_000  # training images per model (the same for every model and background)
    eval_every: int = 30_000  # training images between distance evaluations
    eval_images: int = 1000  # generated and real images per evaluation
    extractor: str = "auto"  # auto: inception if its weights are found, else classifier_gender_utkface_48
    # InceptionV3 weights file for FID; default $FACEZOO_INCEPTION_WEIGHTS or ~/.keras/models
    inception_weights: str | None = None
    pca_images: int = 1000  # real images encoded (VAE) / latents sampled (DCGAN) for the PCA
    # more feature spaces for each model's final distance, beside --extractor's (whose curve is measured during
    # training), e.g. classifier_gender_utkface_64_colour,face_embedding: the colour space sees backgrounds
    report_extractors: tuple[str, ...] = ()
    num_synthetic: int = 2000


def schedule(cfg: Config) -> list[int]:
    """Total steps at which each model stops to be evaluated (the last = the whole budget)."""
    total = max(1, cfg.images // cfg.batch_size)
    every = max(1, cfg.eval_every // cfg.batch_size)
    return [s for s in range(every, total, every) if total - s >= every // 2] + [total]


def models(cfg: Config) -> tuple:
    return ("vae", cfg.gan)


def plan(cfg: Config) -> list[dict]:
    return [{"name": f"{m}-{b}", "model": m, "background": b} for b in cfg.backgrounds for m in models(cfg)]


def _check(cfg: Config) -> None:
    from zoo.data.backgrounds import BACKGROUNDS
    from zoo.data.errors import DataError

    bad = [b for b in cfg.backgrounds if b not in BACKGROUNDS]
    if bad or not cfg.backgrounds:
        raise DataError(f"--backgrounds: {bad or 'none'}; expected some of {BACKGROUNDS}")
    if cfg.background != "raw":
        raise DataError("--background does not apply to the study; list the variants in --backgrounds")


def describe(cfg: Config) -> list:
    steps = schedule(cfg)
    lines = [f"plan: {len(plan(cfg))} models, each {steps[-1]} steps x {cfg.batch_size} = "
             f"{steps[-1] * cfg.batch_size} training images; distance after steps {', '.join(map(str, steps))}"]
    recipes = {"vae": f"utkface_vae (colour, latent {cfg.latent_dim})", "dcgan": "celeba_dcgan",
               "stylegan": f"ffhq_stylegan ({', '.join(map(str, _resolutions(cfg)))} px, distance per level)"}
    for p in plan(cfg):
        recipe = recipes[p["model"]]
        lines.append(f"  {p['name']}: {recipe}, {cfg.image_size} px, {p['background']} backgrounds, against "
                     f"{cfg.eval_images} {p['background']} reals")
    lines.append("faces: trained on the split's train part; curves on its validation faces, final distances on its "
                 "test faces" if holds_out(cfg) else "faces: trained on all of them (the paper's setup); curves and "
                 "final distances on training-set faces")
    if cfg.report_extractors:
        lines.append(f"final distances also in: {', '.join(cfg.report_extractors)}")
    lines.append(f"distance: {'FID if InceptionV3 weights are found, else ' if cfg.extractor == 'auto' else ''}"
                 f"FD[{FALLBACK_EXTRACTOR if cfg.extractor == 'auto' else cfg.extractor}]; size-adjusted raw "
                 f"distance = raw x (1 - r)")
    gan_pca = "DCGAN first-layer activations" if cfg.gan == "dcgan" else "StyleGAN's w"
    lines.append(f"PCA: VAE posterior means of {cfg.pca_images} reals, {gan_pca}; spectra and eigen grids per "
                 f"background; report.md")
    return lines


def _resolutions(cfg: Config) -> tuple:
    return tuple(2 ** k for k in range(2, int(np.log2(cfg.image_size)) + 1))


def _sub_config(cfg: Config, model: str, background: str, steps: int, out: str, extractor_spec: str = ""):
    if model == "stylegan":
        from recipes import ffhq_stylegan

        res = _resolutions(cfg)
        return ffhq_stylegan, ffhq_stylegan.Config(
            data=cfg.data, data_dir=cfg.data_dir, background=background, mask_dir=cfg.mask_dir, resolutions=res,
            images_per_level=max(1, cfg.images // len(res)), batch_size=cfg.batch_size, latent_dim=cfg.latent_dim,
            w_dim=cfg.latent_dim, fmap_base=32 * cfg.base_filters, fmap_max=4 * cfg.base_filters,
            eval_extractor=extractor_spec, eval_images=cfg.eval_images, inception_weights=cfg.inception_weights,
            seed=cfg.seed, train_on=cfg.train_on, num_synthetic=cfg.num_synthetic, jit_compile=cfg.jit_compile,
            precision=cfg.precision, checkpoint_every=cfg.checkpoint_every, keep_checkpoints=cfg.keep_checkpoints,
            log_every=cfg.log_every, num_samples=cfg.num_samples, out=out)
    common = dict(data=cfg.data, data_dir=cfg.data_dir, image_size=cfg.image_size, latent_dim=cfg.latent_dim,
                  base_filters=cfg.base_filters, batch_size=cfg.batch_size, steps=steps, epochs=10**9,
                  background=background, mask_dir=cfg.mask_dir, seed=cfg.seed, num_synthetic=cfg.num_synthetic,
                  train_on=cfg.train_on, jit_compile=cfg.jit_compile, precision=cfg.precision,
                  checkpoint_every=cfg.checkpoint_every, keep_checkpoints=cfg.keep_checkpoints,
                  log_every=cfg.log_every, num_samples=cfg.num_samples, out=out)
    if model == "vae":
        from recipes import utkface_vae

        return utkface_vae, utkface_vae.Config(channels=3, **common)
    from recipes import celeba_dcgan

    return celeba_dcgan, celeba_dcgan.Config(**common)


def _extractor(cfg: Config):
    from zoo.metrics.features import ExtractorError, find_inception_weights, make_extractor

    spec = cfg.extractor
    if spec == "auto":
        try:
            find_inception_weights(cfg.inception_weights)
            spec = "inception"
        except ExtractorError:
            spec = FALLBACK_EXTRACTOR
    extractor = make_extractor(spec, cfg.inception_weights)
    return extractor, "FID" if spec == "inception" else f"FD[{spec}]", spec


def real_images(cfg: Config, background: str, count: int, part: str | None = None) -> np.ndarray:
    """uint8 [count, S, S, 3] with ``background`` (a seeded draw, the same for every model): of the training set,
    or of the split's ``part`` ("validation", "test")."""
    from zoo.data import make_dataset
    from zoo.training.setup import held_out_part, load_training_source
    from zoo.utils.images import to_uint8

    _, sub = _sub_config(cfg, "dcgan", background, 1, "")
    source = held_out_part(sub, part) if part else load_training_source(sub)
    ds = make_dataset(source, cfg.image_size, min(count, 64), shuffle=True, seed=cfg.seed + 7, cache=False,
                      repeat=True, drop_remainder=False)
    out = np.concatenate([to_uint8(b.numpy()) for b in ds.take(-(-count // min(count, 64)))])
    return out[:count]


def _generate(model, n: int, latent_dim: int, seed: int) -> np.ndarray:
    from zoo.utils.images import to_uint8

    z = np.random.default_rng(seed).standard_normal((n, latent_dim)).astype("float32")
    return np.concatenate([to_uint8(np.asarray(model(z[i:i + 64], training=False))) for i in range(0, n, 64)])


def _statistics(images, extractor):
    from zoo.metrics.measure import measure_images

    return measure_images([images[i:i + 50] for i in range(0, len(images), 50)], extractor, progress=False).statistics


def _train_and_measure(cfg, run_dir, entry, extractor, reference, curves, save, spec: str) -> object:
    """Train ``entry``'s model chunk by chunk (resuming its own run folder), measuring after each chunk; StyleGAN
    in one go, measured by its own recipe at the end of each level."""
    from zoo.metrics.fid import statistics_distance
    from zoo.training.cli import config_dict
    from zoo.utils.io import write_json

    from zoo.runs import trainer_model

    folder = os.path.join(run_dir, entry["name"])
    done = curves.setdefault(entry["name"], [])
    if entry["model"] == "stylegan":
        import csv

        recipe, sub = _sub_config(cfg, "stylegan", entry["background"], 0, run_dir, spec)
        os.makedirs(folder, exist_ok=True)
        write_json(os.path.join(folder, "config.json"), config_dict(sub))
        trainer, _ = recipe.run(sub, folder, resume=os.path.isfile(os.path.join(folder, "status.json")))
        with open(os.path.join(folder, "logs", "levels.csv"), newline="") as f:
            rows = list(csv.DictReader(f))
        key = next(k for k in rows[0] if k == "fid" or k.startswith("fd"))
        done[:] = [{"step": int(r["level"]), "images": int(r["images_seen"]), "resolution": int(r["resolution"]),
                    "distance": float(r[key])} for r in rows]
        save()
        return trainer
    trainer = None
    for steps in schedule(cfg):
        recipe, sub = _sub_config(cfg, entry["model"], entry["background"], steps, run_dir)
        finished = any(r["step"] == steps for r in done)
        if finished and steps != schedule(cfg)[-1]:
            continue
        os.makedirs(folder, exist_ok=True)
        write_json(os.path.join(folder, "config.json"), config_dict(sub))
        trainer, _ = recipe.run(sub, folder, resume=os.path.isfile(os.path.join(folder, "status.json")))
        if not finished:
            model = trainer_model(trainer)
            fake = _statistics(_generate(model, cfg.eval_images, cfg.latent_dim, cfg.seed + 1), extractor)
            done.append({"step": steps, "images": steps * cfg.batch_size,
                         "distance": statistics_distance(fake, reference)})
            save()
    return trainer


def _latent_figures(cfg, run_dir, entry, trainer, reals) -> tuple:
    """(LatentPCA, how) of this model, and its eigen-direction grid written to ``pca/<name>_eigen_grid.png``."""
    from zoo.runs import trainer_model
    from zoo.latent import pca as pca_lib
    from zoo.latent.figures import plot_image_grid
    from zoo.latent.models import Generator, encode

    if entry["model"] == "vae":
        p = pca_lib.fit_pca(encode(trainer.encoder, reals.astype(np.float32) / 127.5 - 1.0))
        model, how = trainer.decoder, "posterior means of real images"
    elif entry["model"] == "stylegan":
        # the run's model (the EMA generator at the level reached), the one its distances are measured on
        gen = Generator(trainer_model(trainer, "generator"), space="w")
        p = pca_lib.fit_pca(gen.sample_latents(cfg.pca_images, cfg.seed))
        model, how = (lambda w, training=False: gen(np.asarray(w))), "sampled w of the EMA generator"
    else:
        gen = Generator(trainer_model(trainer, "generator"))
        z = gen.sample_latents(cfg.pca_images, cfg.seed)
        p = pca_lib.fit_pca_through_activations(z, gen.first_activations(z), min(cfg.pca_images, cfg.latent_dim))
        model, how = gen.model, "first-layer activations (GANSpace)"
    comps = tuple(range(min(5, len(p.stds))))
    latents = pca_lib.eigen_grid_latents(p, components=comps).astype("float32")
    images = np.concatenate([np.asarray(model(latents[i:i + 64], training=False)) for i in range(0, len(latents), 64)])
    plot_image_grid(os.path.join(run_dir, "pca", f"{entry['name']}_eigen_grid.png"), images, rows=len(comps),
                    row_labels=[f"PC{c + 1}" for c in comps], title=f"{entry['name']}: eigen-directions (-3..3 sd)")
    return p, how


def _final_distances(cfg, trainer, background: str, reals: np.ndarray, spaces: dict, cache: dict) -> dict:
    """{metric name: distance} of the model's final samples to ``reals`` (of ``background``) in every space of
    ``spaces`` ({metric name: extractor}); the reals' statistics are kept in ``cache`` per (background, metric)."""
    from zoo.metrics.fid import statistics_distance
    from zoo.runs import trainer_model

    fake = _generate(trainer_model(trainer), cfg.eval_images, cfg.latent_dim, cfg.seed + 2)
    out = {}
    for metric, extractor in spaces.items():
        key = (background, metric)
        if key not in cache:
            cache[key] = _statistics(reals, extractor)
        out[metric] = statistics_distance(_statistics(fake, extractor), cache[key])
    return out


def run(cfg: Config, run_dir: str, resume: bool = False):
    from zoo.latent.figures import plot_spectra
    from zoo.metrics.adjusted_fid import size_reduction
    from zoo.metrics.features import make_extractor
    from zoo.utils.io import read_json, write_json

    _check(cfg)
    extractor, metric, spec = _extractor(cfg)
    spaces = {metric: extractor, **{f"FD[{e}]": make_extractor(e) for e in cfg.report_extractors}}
    path = os.path.join(run_dir, "curves.json")
    stored = read_json(path) if resume and os.path.isfile(path) else {}
    curves, final = stored.get("curves", {}), stored.get("final", {})
    part = "validation" if holds_out(cfg) else None
    reals = {b: real_images(cfg, b, max(cfg.eval_images, cfg.pca_images), part) for b in cfg.backgrounds}
    reference = {b: _statistics(reals[b][:cfg.eval_images], extractor) for b in cfg.backgrounds}
    reduction = {b: size_reduction(reals["raw"], reals[b]) for b in cfg.backgrounds if "raw" in reals}
    test_reals = {}
    # without held-out faces the final reals are the curve's, whose statistics in its own space are the reference
    cache = {} if holds_out(cfg) else {(b, metric): reference[b] for b in cfg.backgrounds}

    def save():
        write_json(path, {"metric": metric, "size_reduction": reduction, "curves": curves, "final": final,
                          "final_on": "the split's test faces" if holds_out(cfg) else "the training set's faces"})

    summary, spectra = {}, {m: {} for m in models(cfg)}
    os.makedirs(os.path.join(run_dir, "pca"), exist_ok=True)
    for entry in plan(cfg):
        print(f"== {entry['name']}", flush=True)
        b = entry["background"]
        trainer = _train_and_measure(cfg, run_dir, entry, extractor, reference[b], curves, save, spec)
        if set(final.get(entry["name"], {})) != set(spaces):
            if b not in test_reals:
                test_reals[b] = real_images(cfg, b, cfg.eval_images, "test") if holds_out(cfg) \
                    else reals[b][:cfg.eval_images]
            final[entry["name"]] = _final_distances(cfg, trainer, b, test_reals[b], spaces, cache)
            save()
        p, how = _latent_figures(cfg, run_dir, entry, trainer, reals[b][:cfg.pca_images])
        spectra[entry["model"]][b] = p.explained_variance_ratio
        summary[entry["name"]] = {**p.summary(10), "pca_of": how}
    save()
    for m in models(cfg):
        plot_spectra(os.path.join(run_dir, "pca", f"{m}_spectra.png"), spectra[m], top=min(50, cfg.latent_dim),
                     title=f"{m}: PCA spectrum by background")
    write_json(os.path.join(run_dir, "pca", "summary.json"), summary)
    _plot_curves(os.path.join(run_dir, "curves.png"), curves, reduction, metric, models(cfg))
    _write_report(cfg, run_dir, metric, curves, reduction, summary, final)


def _plot_curves(path, curves, reduction, metric, names) -> None:
    from zoo.utils.plotting import new_figure, save_figure

    plt, fig = new_figure(figsize=(10, 4))
    for i, m in enumerate(names):
        ax = fig.add_subplot(1, 2, i + 1)
        for name, rows in curves.items():
            if not name.startswith(m + "-"):
                continue
            x, y = [r["images"] for r in rows], [r["distance"] for r in rows]
            ax.plot(x, y, marker=".", label=name)
            if name.endswith("-raw"):
                for b, r in reduction.items():
                    if b != "raw":
                        ax.plot(x, [v * (1 - r) for v in y], ls="--", label=f"{name} x (1 - r_{b}) = {1 - r:.2f}")
        ax.set(xlabel="training images", ylabel=metric, title=m)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    save_figure(plt, fig, path)


def _write_report(cfg, run_dir, metric, curves, reduction, summary, final) -> None:
    from zoo.utils.io import atomic_path

    names = list(dict.fromkeys(k for v in final.values() for k in v))
    where = "the split's test faces" if holds_out(cfg) else "the same training-set faces as the curves"
    curve_on = "the split's validation faces" if holds_out(cfg) else "the training set"
    lines = [f"# Background study: {cfg.data}, {cfg.image_size} px, {cfg.images} training images per model", "",
             f"Curves: {metric}, {cfg.eval_images} generated vs {cfg.eval_images} real images of the same background"
             f" ({curve_on}). Final "
             f"distances: the last model's {cfg.eval_images} samples against {cfg.eval_images} of {where}, in every "
             f"space. PNG size reduction r against raw: " +
             ", ".join(f"{b} {r:.3f}" for b, r in reduction.items() if b != "raw"), "",
             f"| model | final {metric} (curve) | size-adjusted (raw x (1 - r)) | "
             + "".join(f"final {n} | " for n in names) + "PCs for 90% | PC1 share | PCA of |",
             "| --- | --- | --- | " + "--- | " * len(names) + "--- | --- | --- |"]
    for name, rows in curves.items():
        last = rows[-1]["distance"] if rows else float("nan")
        adj = ", ".join(f"{last * (1 - r):.2f} (vs {b})" for b, r in reduction.items()
                        if b != "raw") if name.endswith("-raw") else ""
        s = summary.get(name, {})
        ratio = s.get("explained_variance_ratio", [float("nan")])[0]
        cells = "".join(f"{final.get(name, {}).get(n, float('nan')):.4g} | " for n in names)
        lines.append(f"| {name} | {last:.2f} | {adj} | {cells}{s.get('components_for_90_percent')} | {ratio:.3f} | "
                     f"{s.get('pca_of', '')} |")
    lines += ["", "![distance curves](curves.png)", ""]
    lines += [f"![{m} spectra](pca/{m}_spectra.png)" for m in models(cfg)]
    lines += [""] + [f"![{p['name']} eigen grid](pca/{p['name']}_eigen_grid.png)" for p in plan(cfg)]
    with atomic_path(os.path.join(run_dir, "report.md")) as tmp, open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")


def main(argv=None) -> int:
    from zoo.training.recipe import run_recipe

    return run_recipe(NAME, Config, run, argv, describe)


if __name__ == "__main__":
    sys.exit(main())
