"""The CLI's commands that start from seeds or real faces: interpolate, matrix, restore, project, scatter,
mean-faces. Each returns the JSON-able dict of its numbers; figures go to ``args.out``."""

from __future__ import annotations

import os

import numpy as np

from zoo.latent import figures, interpolate
from zoo.latent.commands import _intensities, edit_figure, generator, out_path
from zoo.latent.data import AGE_BUCKETS, age_bucket, load_images, load_photos, photo_caption, read_photo, real_images
from zoo.latent.directions import direction_set
from zoo.latent.models import Generator, LatentError, encode, is_diffusion

GENDERS = ("male", "female")
RACES = ("White", "Black", "Asian", "Indian", "Others")


def _endpoints(args, gen: Generator, n: int):
    """``(latents, ends, report)``: n encoded photos (--images with --encoder; each its largest face aligned unless
    --no-align, a photo without a face a counted skip and too few faces an error) or the generator's latents of
    --seeds."""
    if args.images:
        paths = args.images.split(",")
        if len(paths) != n or not args.encoder:
            raise LatentError(f"give {n} comma-separated --images and an --encoder (got {len(paths)} images, "
                              f"encoder {args.encoder!r})")
        photos, records, _ = load_photos(paths, gen.model.image_size, gen.model.channels, args.align, need=n)
        return encode(args.encoder, photos), paths, {"photos": records, "aligned": args.align}
    seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else list(range(n))
    if len(seeds) != n:
        raise LatentError(f"give {n} comma-separated --seeds, got {args.seeds!r}")
    return np.concatenate([gen.sample_latents(1, s) for s in seeds]), seeds, {}


def cmd_interpolate(args) -> dict:
    gen = generator(args)
    (a, b), ends, photos = _endpoints(args, gen, 2)
    rows = [interpolate.interpolate(a, b, args.steps, m) for m in ("lerp", "slerp")]
    norms = {m: np.linalg.norm(r.reshape(len(r), -1), axis=1).tolist() for m, r in zip(("lerp", "slerp"), rows)}
    figures.plot_image_grid(out_path(args, "interpolation.png"), gen(np.concatenate(rows)), 2, ["lerp", "slerp"],
                            [f"{t:.2f}" for t in np.linspace(0, 1, args.steps)], title=f"{args.model}: {ends}"
                            + (f"\n{photo_caption(args.align)}" if photos else ""))
    return {"endpoints": ends, "steps": args.steps, "latent_norms": norms, **photos}


def cmd_matrix(args) -> dict:
    gen = generator(args)
    corners, ends, photos = _endpoints(args, gen, 4)
    latents = interpolate.corner_matrix(corners, args.steps)
    figures.plot_image_grid(out_path(args, "matrix.png"), gen(latents), args.steps,
                            title=f"{args.model}: 4-corner interpolation of "
                                  f"{', '.join(os.path.basename(str(e)) for e in ends)}"
                                  + (f"\n{photo_caption(args.align)}" if photos else ""))
    return {"corners": ends, "steps": args.steps, **photos}


def cmd_restore(args) -> dict:
    """Mean and median filters against the VAE (--encoder, --model its decoder) or, for a diffusion --model, its
    SDEdit at each --strength (default 0.5), on the same damaged faces, in one table and figure."""
    from zoo.latent.restore import default_damages, format_table, restoration_table, sdedit_restorers

    gen = generator(args)  # a diffusion model becomes its own --encoder here
    diffusion = is_diffusion(gen.model)
    if not args.encoder:
        raise LatentError("restore needs --encoder (the VAE's) and --model (its decoder), or a diffusion --model")
    if getattr(args, "strength", None) and not diffusion:
        raise LatentError(f"--strength is SDEdit's, for a diffusion --model; {args.model} is a "
                          f"{type(gen.model).__name__}")
    strengths = [float(v) for v in (args.strength or "0.5").split(",")] if diffusion else []
    images, _, info = real_images(args, gen)
    damages = default_damages(tuple(float(v) for v in args.noise_std.split(",")))
    restorers = sdedit_restorers(gen.model, strengths, args.seed) if diffusion else None
    table, rows = restoration_table(images, args.encoder, gen.model, damages, args.filter_size, args.seed, restorers)
    n = min(args.show, len(images))
    order = [k for k in rows]
    figures.plot_image_grid(out_path(args, "restoration.png"), np.concatenate([rows[k][:n] for k in order]),
                            len(order), [k.replace("/", "\n") for k in order],
                            title="SDEdit restoration" if diffusion else "VAE restoration")
    text = format_table(table)
    with open(out_path(args, "restoration.md"), "w") as f:
        f.write(text + "\n")
    print(text)
    extra = {"method": "SDEdit (DDIMSampler.restore)", "strengths": strengths,
             "sdedit_steps": [max(1, round(gen.model.steps * s)) for s in strengths]} if diffusion else {}
    return {"table": table, **info, "filter_size": args.filter_size, "damages": damages, **extra,
            "scale": "noise std on [-1, 1]; erased blocks set to 0 (mid grey)"}


def cmd_project(args) -> dict:
    """Project the photo from the mean latent or, with --encoder, from the encoder's latent of it; with
    --pivotal-steps, then tune a copy of the generator at that latent (PTI) and edit with the copy."""
    from zoo.latent.identity_report import caption, photo_identity
    from zoo.latent.inversion import pivotal_tune
    from zoo.latent.project import PerceptualDistance, project
    from zoo.metrics.reconstruction import reconstruction_metrics

    gen = generator(args)
    read = read_photo(args.image, gen.model.image_size, gen.model.channels, args.align)
    photo = read.x
    perceptual = PerceptualDistance(args.classifier) if args.classifier else None
    init = encode(args.encoder, photo) if args.encoder else None
    res = project(gen, photo, steps=args.steps, perceptual=perceptual, perceptual_weight=args.perceptual_weight,
                  initial_lr=args.lr, seed=args.seed, init=init)
    res.save(out_path(args, "projection.npz"))
    pick = np.unique(np.linspace(0, len(res.trajectory) - 1, 6).round().astype(int))
    frames = gen(res.trajectory[pick])
    final = gen(res.latent)
    identity = photo_identity(photo, final, "projection")
    figures.plot_projection(out_path(args, "projection.png"), photo[0], frames, res.trajectory_steps[pick], res.losses,
                            "target (aligned)" if args.align else "target (central square)", caption(identity))
    out = {"image": args.image, "photo": read.record(), "space": gen.space, "steps": args.steps,
           "start": f"encoder {args.encoder}" if args.encoder else "mean latent",
           "loss_first": float(res.losses[0]), "loss_last": float(res.losses[-1]),
           "pixel_mse_last": float(res.pixel[-1]), "perceptual_last": float(res.perceptual[-1]),
           "metrics": reconstruction_metrics(photo, final), "identity": identity}
    shown, names = [_photo_tile(args.image, photo.shape[1:]), photo[0], final[0]], ["photo", "aligned crop",
                                                                                       "projection"]
    if init is not None:
        shown.insert(2, gen(init)[0])
        names.insert(2, "encoder start")
    editor = gen
    if args.pivotal_steps:
        editor, out["pivotal_tuning"] = pivotal_tune(gen, res.latent, photo, args.pivotal_steps, perceptual,
                                                     args.perceptual_weight)
        tuned = editor(res.latent)
        out["pivotal_tuning"].update(metrics=reconstruction_metrics(photo, tuned),
                                     identity=photo_identity(photo, tuned, "tuned projection"))
        shown.append(tuned[0])
        names.append(f"tuned ({args.pivotal_steps} steps)")
    out["edited_with"] = "the pivotally tuned copy" if args.pivotal_steps else "the generator"
    if args.direction:
        from zoo.latent.attributes import apply

        direction = direction_set(args.directions or args.model, gen.model)[args.direction]
        out.update(edit_figure(args, editor, direction, args.direction, res.latent, identity=True))
        t = _intensities(args)
        shown += list(editor(apply(res.latent, direction, t)[0]))
        names += [f"{args.direction} {v:+.2g}" for v in t]
    tuning = f"pivotal tuning {args.pivotal_steps} steps" if args.pivotal_steps else "no pivotal tuning"
    last = caption(out.get("pivotal_tuning", {}).get("identity", identity))
    figures.plot_image_grid(out_path(args, "photo_path.png"), np.stack(shown), 1, col_labels=names,
                            title=f"{args.model}: from the {out['start']}, {args.steps} steps, {tuning};\n{last}")
    return out


def _photo_tile(path: str, shape) -> np.ndarray:
    """The whole photo file, padded to a square and resized to ``shape`` [S, S, C], in [-1, 1] (for a figure)."""
    from PIL import Image, ImageOps

    from zoo.latent.models import resize_images

    with Image.open(path) as im:
        im = ImageOps.exif_transpose(im).convert("RGB")
        side = max(im.size)
        im = ImageOps.pad(im, (side, side), color=(255, 255, 255))
        x = np.asarray(im.resize((shape[0], shape[1]), Image.Resampling.LANCZOS), np.float32) / 127.5 - 1
    return resize_images(x[None], shape[0], shape[2])[0]


def cmd_scatter(args) -> dict:
    from zoo.latent.pca import fit_pca

    if not args.encoder:
        raise LatentError("scatter needs --encoder (a VAE encoder) and --data")
    images, labels, info = load_images(args.data, args.data_dir, args.count, args.image_size, 3, args.split,
                                       args.seed)
    lat = encode(args.encoder, images)
    if args.label not in labels and args.label != "age_bucket":
        raise LatentError(f"no label {args.label!r}; {args.data} has {sorted(labels)} (or age_bucket)")
    y = age_bucket(labels["age"]) if args.label == "age_bucket" else labels[args.label]
    names = {"gender": GENDERS, "race": RACES, "age_bucket": [f"{lo}-{hi}" for lo, hi in AGE_BUCKETS]}
    if lat.shape[1] == 2:
        pts, axes = lat, ("z1", "z2")
    else:
        p = fit_pca(lat, 2)
        pts, axes = p.coordinates(lat), ("PC1", "PC2")
    figures.plot_scatter(out_path(args, f"scatter_{args.label}.png"), pts, y, names.get(args.label), axis_names=axes,
                         title=f"{args.encoder} posterior means by {args.label}")
    from sklearn.metrics import silhouette_score

    sil = float(silhouette_score(pts, y)) if len(np.unique(y)) > 1 else float("nan")
    return {"label": args.label, "axes": axes, "silhouette_2d": sil,
            "counts": {str(v): int((y == v).sum()) for v in np.unique(y)}, **info}


def cmd_mean_faces(args) -> dict:
    """Pixel means of real faces per gender x race and per age bucket (and, with --encoder and --model, the
    decoder's image of each group's mean latent)."""
    images, labels, info = load_images(args.data, args.data_dir, args.count, args.image_size, 3, args.split,
                                       args.seed)
    for k in ("gender", "race", "age"):
        if k not in labels:
            raise LatentError(f"mean-faces needs gender, race and age labels; {args.data} has {sorted(labels)}")
    groups = [(f"{g} {r}", (labels["gender"] == gi) & (labels["race"] == ri))
              for gi, g in enumerate(GENDERS) for ri, r in enumerate(RACES)]
    buckets = age_bucket(labels["age"])
    groups += [(f"age {lo}-{hi}", buckets == i) for i, (lo, hi) in enumerate(AGE_BUCKETS)]
    latents = encode(args.encoder, images) if args.encoder else None
    dec = generator(args) if args.encoder and args.model else None
    counts, means, decoded = {}, [], []
    for name, sel in groups:
        counts[name] = int(sel.sum())
        means.append(images[sel].mean(0) if sel.any() else np.zeros(images.shape[1:], np.float32))
        if dec is not None:
            decoded.append(latents[sel].mean(0) if sel.any() else np.zeros(latents.shape[1], np.float32))
    means = np.stack(means)
    cols = [f"{n}\n({counts[n]})" for n, _ in groups]
    figures.plot_image_grid(out_path(args, "mean_faces_gender_race.png"), means[:10], 2, GENDERS,
                            RACES, title="pixel mean faces by gender (rows) and race")
    figures.plot_image_grid(out_path(args, "mean_faces_age.png"), means[10:], 1, (), cols[10:],
                            title="pixel mean faces by age")
    if dec is not None:
        faces = dec(np.stack(decoded))
        figures.plot_image_grid(out_path(args, "mean_latent_faces_gender_race.png"), faces[:10], 2, GENDERS, RACES,
                                title="decoded mean latents by gender (rows) and race")
        figures.plot_image_grid(out_path(args, "mean_latent_faces_age.png"), faces[10:], 1, (), cols[10:],
                                title="decoded mean latents by age")
    return {"counts": counts, **info}
