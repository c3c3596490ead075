"""``zoo.latent edit --lacking RULE``: an attribute direction applied to real faces that lack the attribute, as the
DFC-VAE paper applies its attribute vectors to real CelebA faces (Hou et al. 2017, Fig. 5), and the direction
decoded alone (its Fig. 6): the faces' latents come from the encoder (a VAE) or a projection (a GAN)."""

from __future__ import annotations

import numpy as np

from zoo.latent import figures
from zoo.latent.data import label_rule, real_images
from zoo.latent.models import LatentError, encode


def lacking_faces(args, gen, direction) -> tuple[np.ndarray, dict]:
    """``(latents [n, ...], report)`` of the first ``--edit-count`` faces of ``--data``'s split for which
    ``--lacking`` is false, and the figure ``direction_alone.png`` (the direction decoded from the mean latent at
    each intensity, and from the origin). The report says which faces, how they were reconstructed and how close
    the reconstructions are to them (dlib identity, PSNR)."""
    from zoo.latent.identity_report import photo_identity
    from zoo.metrics.reconstruction import reconstruction_metrics

    images, labels, info = real_images(args, gen)
    keep = ~label_rule(labels, args.lacking)
    if not keep.any():
        raise LatentError(f"--lacking {args.lacking}: none of the {len(images)} faces drawn lacks it; draw more "
                          f"(--count) or check the rule")
    faces = images[keep][:args.edit_count]
    latents, how = real_latents(args, gen, faces)
    rebuilt = gen(latents)
    identity = [photo_identity(faces[i:i + 1], rebuilt[i:i + 1], "reconstruction") for i in range(len(faces))]
    distances = [r["distance"] for r in identity if "distance" in r]
    from zoo.latent.commands import out_path

    figures.plot_image_grid(out_path(args, "lacking_faces.png"), np.concatenate([faces, rebuilt]), 2,
                            ["real", "reconstruction"], title=f"{args.model}: test faces for which {args.lacking!r} is false, {how}")
    _decode_alone(args, gen, direction)
    report = {"lacking": args.lacking, "faces": int(len(faces)), "of_drawn": int(len(images)), "data": info,
              "reconstructed": how, "metrics": reconstruction_metrics(faces, rebuilt),
              "reconstruction_identity": {"distances": distances,
                                          "median": float(np.median(distances)) if distances else None},
              "caption": f"{len(faces)} test faces for which {args.lacking!r} is false, {how}"}
    return latents, report


def real_latents(args, gen, faces) -> tuple[np.ndarray, str]:
    """``(latents, how)`` of real faces [n, S, S, C] in [-1, 1]: encoded by ``--encoder`` (a VAE's), else each
    projected into ``gen`` (``--projection-steps``, with ``--classifier``'s perceptual distance when given)."""
    if args.encoder:
        return encode(args.encoder, faces), f"encoded by {args.encoder}"
    return _projected(args, gen, faces), f"projected ({args.projection_steps} steps each)"


def _projected(args, gen, faces) -> np.ndarray:
    from zoo.latent.project import PerceptualDistance, project

    perceptual = PerceptualDistance(args.classifier) if args.classifier else None
    return np.concatenate([project(gen, faces[i:i + 1], steps=args.projection_steps, perceptual=perceptual,
                                   seed=args.seed, progress=False).latent for i in range(len(faces))])


def _decode_alone(args, gen, direction) -> None:
    """The direction decoded on its own: from the mean latent of the space (a face with nothing particular) and
    from the origin, at the edit's intensities."""
    from zoo.latent.commands import _intensities, out_path

    t = _intensities(args)
    d = np.asarray(direction, np.float32).reshape(1, *gen.latent_shape)
    mean = gen.sample_latents(2000, args.seed).mean(0, keepdims=True)
    rows = np.concatenate([mean + v * d for v in t] + [v * d for v in t])
    figures.plot_image_grid(out_path(args, "direction_alone.png"), gen(rows), 2,
                            ["mean latent + t v", "t v alone"], [f"{v:+.2g}" for v in t],
                            title=f"{args.model}: {args.direction} decoded alone")
