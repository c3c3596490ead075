"""Background variants of a face dataset: ``raw`` (as is), ``grey`` (flat grey behind the person) or ``blur``
(the photo's own background, Gaussian-blurred), from foreground masks.

Masks come with the synthetic set (``labels["mask"]``); for a folder of photos they are the outputs of
``python -m zoo.data.remove_background`` (or of ``rembg p``) in a sibling folder ``<data_dir>_rembg`` (or
``mask_dir``) with the same relative paths and a ``.png`` suffix: single-channel masks or RGBA cut-outs
(alpha = mask).

One rule decides where the pixels come from: when that folder's ``manifest.json`` (written by
``remove_background``) lists ``<mode>`` copies made with the same blur, every image is read from its copy
``<mask_dir>/<mode>/<relative path without suffix>.png`` (lossless: exactly the source composited with its mask),
and a missing copy is an error naming how many are missing and the command that finishes them. Otherwise every
image is composited from its mask on the fly. Never a mix; ``info["background_from"]`` says which.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os

import numpy as np
import tensorflow as tf

from zoo.data.errors import DataError
from zoo.data.source import ImageSource

BACKGROUNDS = ("raw", "grey", "blur")
GREY = 128


def _gaussian_blur(images, sigma: float):
    """images [N, H, W, C] float32 -> the same blurred by a separable Gaussian, reflected at the borders."""
    h = int(images.shape[1]) if images.shape[1] is not None else None
    radius = max(1, int(math.ceil(3 * sigma)))
    if h is not None:
        radius = min(radius, h - 1)
    x = tf.range(-radius, radius + 1, dtype=tf.float32)
    k = tf.exp(-0.5 * tf.square(x / sigma))
    k = k / tf.reduce_sum(k)
    c = tf.shape(images)[-1]
    padded = tf.pad(images, [[0, 0], [radius, radius], [radius, radius], [0, 0]], mode="REFLECT")
    kx = tf.tile(tf.reshape(k, (1, -1, 1, 1)), [1, 1, c, 1])
    ky = tf.tile(tf.reshape(k, (-1, 1, 1, 1)), [1, 1, c, 1])
    out = tf.nn.depthwise_conv2d(padded, kx, [1, 1, 1, 1], "VALID")
    return tf.nn.depthwise_conv2d(out, ky, [1, 1, 1, 1], "VALID")


def replace_background(images, masks, mode: str, blur_sigma: float = 0.04):
    """images uint8 [N, H, W, 3], masks [N, H, W] or [N, H, W, 1] (1 or 255 = foreground, soft values allowed)
    -> uint8 [N, H, W, 3] with the background (mask 0) flat grey (``grey``) or blurred with a Gaussian of
    ``blur_sigma`` x the image height (``blur``; 128 when not static); ``raw`` returns the images unchanged."""
    if mode not in BACKGROUNDS:
        raise ValueError(f"unknown background {mode!r}; expected one of {BACKGROUNDS}")
    images = tf.convert_to_tensor(images)
    if mode == "raw":
        return images
    m = tf.cast(masks, tf.float32)
    if m.shape.rank == 3:
        m = m[..., None]
    m = m / tf.where(tf.reduce_max(m) > 1.0, 255.0, 1.0)  # 0/1 masks or 0..255 alpha
    x = tf.cast(images, tf.float32)
    if mode == "grey":
        back = tf.fill(tf.shape(x), float(GREY))
    else:
        height = images.shape[1] if images.shape[1] is not None else 128  # kernel size must be static
        back = _gaussian_blur(x, max(0.5, blur_sigma * float(height)))
    out = m * x + (1.0 - m) * back
    return tf.cast(tf.clip_by_value(tf.round(out), 0, 255), tf.uint8)


def default_mask_dir(data_dir: str) -> str:
    return os.path.normpath(data_dir).rstrip(os.sep) + "_rembg"


def _mask_path(image_path: str, root: str, mask_dir: str) -> str:
    rel = os.path.relpath(image_path, root)
    return os.path.join(mask_dir, os.path.splitext(rel)[0] + ".png")


def copy_path(mask_dir: str, mode: str, rel: str) -> str:
    """Where ``remove_background`` writes the ``mode`` copy (grey, blur, cutout) of the image at ``rel`` (relative
    to the source folder): ``<mask_dir>/<mode>/<rel without suffix>.png``, PNG whatever the source's format."""
    return os.path.join(mask_dir, mode, os.path.splitext(rel)[0] + ".png")


def _copies(paths, root: str, mask_dir: str, mode: str, blur_sigma: float):
    """The ``<mask_dir>/<mode>/`` copies of ``paths`` when the manifest lists that mode made with this
    ``blur_sigma``, else None (no copies: masks for all). Some listed copies missing is a ``DataError``."""
    manifest = os.path.join(mask_dir, "manifest.json")
    if not os.path.isfile(manifest):
        return None
    with open(manifest) as f:
        made = json.load(f)
    if mode not in made.get("variants", ()) or (mode == "blur" and made.get("blur_sigma") != blur_sigma):
        return None
    copies = [copy_path(mask_dir, mode, os.path.relpath(p, root)) for p in paths]
    missing = [c for c in copies if not os.path.isfile(c)]
    if missing:
        sigma = f" --blur-sigma {blur_sigma:g}" if mode == "blur" and blur_sigma != 0.04 else ""
        raise DataError(f"--background {mode}: {len(missing)} of {len(copies)} {mode} copies that {manifest} lists "
                        f"are missing (first: {missing[0]}); an interrupted or older run. Finish them with: "
                        f"python -m zoo.data.remove_background {root} {mask_dir}{sigma}")
    return copies


def _read_mask(path):
    m = tf.io.decode_png(tf.io.read_file(path), channels=0)
    return tf.cond(tf.shape(m)[-1] == 4, lambda: m[..., 3:4], lambda: m[..., :1])  # RGBA: alpha


def with_background(source: ImageSource, mode: str, mask_dir: str | None = None,
                    blur_sigma: float = 0.04) -> ImageSource:
    """``source`` with its background replaced (``grey`` / ``blur``) or as is (``raw``).

    In-memory sources need a ``mask`` label (the synthetic set has one); file sources need rembg outputs in
    ``mask_dir`` (default ``<root>_rembg``); a missing folder or mask is a ``DataError`` saying how to make them.
    """
    if mode not in BACKGROUNDS:
        raise DataError(f"unknown background {mode!r}; expected one of {BACKGROUNDS}")
    if mode == "raw":
        return source
    if source.arrays is not None:
        if "mask" not in source.labels:
            raise DataError(f"--background {mode} needs foreground masks, and the {source.name} images carry none "
                            f"(labels: {sorted(source.labels)})")
        masks = np.asarray(source.labels["mask"])
        out = np.concatenate([replace_background(source.arrays[i:i + 256], masks[i:i + 256], mode,
                                                 blur_sigma).numpy() for i in range(0, len(source), 256)])
        labels = {k: v for k, v in source.labels.items() if k != "mask"}
        return ImageSource(name=f"{source.name}-{mode}", arrays=out, labels=labels, crop=source.crop,
                           skipped=source.skipped, info={**source.info, "background": mode})
    if source.paths is None:
        raise DataError(f"--background {mode} is not available for the streamed {source.name} source; use a "
                        f"folder of images with rembg masks")
    root = source.info.get("root") or os.path.commonpath([os.path.dirname(p) for p in source.paths])
    mask_dir = mask_dir or default_mask_dir(root)
    how = (f"Make them with: python -m zoo.data.remove_background {root} {mask_dir} (or rembg p {root} {mask_dir}), "
           f"or pass --mask-dir.")
    if not os.path.isdir(mask_dir):
        raise DataError(f"--background {mode} needs foreground masks: no folder {mask_dir}. {how}")
    copies = _copies(source.paths, root, mask_dir, mode, blur_sigma)
    if copies is not None:
        return dataclasses.replace(source, name=f"{source.name}-{mode}", paths=copies,
                                   info={**source.info, "background": mode, "mask_dir": mask_dir,
                                         "background_from": "copies"})
    mask_paths = [_mask_path(p, root, mask_dir) for p in source.paths]
    missing = [m for m in mask_paths if not os.path.isfile(m)]
    if missing:
        raise DataError(f"--background {mode}: {len(missing)} of {len(mask_paths)} images have no mask in {mask_dir} "
                        f"(first: {missing[0]}). {how}")

    def load(path, mpath):
        img = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
        mask = tf.image.resize(tf.cast(_read_mask(mpath), tf.float32), tf.shape(img)[:2], method="bilinear")
        out = replace_background(img[None], mask[None], mode, blur_sigma)[0]
        return {"image": tf.ensure_shape(out, (None, None, 3))}

    def dataset_fn():
        ds = tf.data.Dataset.from_tensor_slices((list(source.paths), mask_paths))
        return ds.map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)

    return ImageSource(name=f"{source.name}-{mode}", dataset_fn=dataset_fn, num_examples=len(source.paths),
                       crop=source.crop, skipped=source.skipped,
                       info={**source.info, "background": mode, "mask_dir": mask_dir, "background_from": "masks"})
