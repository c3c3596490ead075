"""The image sets an evaluation compares: a folder, a dataset, or a generator (preset, run folder, .keras file).

Each set streams uint8 batches [B, R, R, C] at a chosen resolution: files through the shared tf.data pipeline
(decode -> crop -> antialiased resize), generated images quantised to uint8 as a PNG writer would, so that real
and generated images reach the feature extractor in exactly the same form.
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import tensorflow as tf

from zoo.data import transforms


class ImageSetError(ValueError):
    """An image set cannot be resolved or read."""


@dataclasses.dataclass
class ImageSet:
    """``label`` names it in reports; ``count`` is the number of images it holds (None for a generator);
    ``resolution``/``channels`` are its native ones; ``info`` is its provenance (JSON-able)."""

    label: str
    kind: str  # "folder" | "dataset" | "generator"
    resolution: int
    channels: int
    count: int | None
    info: dict
    source: object = None  # zoo.data.ImageSource for folders and datasets
    generator: object = None  # z [B, latent] -> images in [-1, 1]
    latent_dim: int = 0

    def size_for(self, n: int) -> int:
        return n if self.count is None else min(n, self.count)

    def batches(self, n: int, batch_size: int = 64, seed: int = 0, resolution: int | None = None,
                channels: int | None = None) -> tf.data.Dataset:
        """``size_for(n)`` images as uint8 batches [B, R, R, C]; a folder or dataset larger than ``n`` gives a
        seeded random subset, a generator draws z from N(0, 1) seeded by ``seed``."""
        res, ch, n = resolution or self.resolution, channels or self.channels, self.size_for(n)
        if n < 1:
            raise ImageSetError(f"{self.label}: no images to evaluate")
        if self.kind == "generator":
            return self._generated(n, batch_size, seed, res, ch)
        # A seeded random order, not the folder's: files sorted by name (UTKFace's by age) would make the
        # consecutive splits of an Inception Score, and any prefix, a biased part of the set.
        source = self.source
        if source.dataset_fn is None or n < len(source):  # a streamed source (TFDS) cannot be indexed: taken whole
            source = source.subset(np.random.default_rng(seed).permutation(len(source))[:n])
        return _file_batches(source, batch_size, res, ch)

    def _generated(self, n, batch_size, seed, res, ch):
        generate = tf.function(lambda z: self.generator(z, training=False), reduce_retracing=True)
        native = (self.resolution, self.channels)

        def batches():
            rng = np.random.default_rng(seed)
            for start in range(0, n, batch_size):
                b = min(batch_size, n - start)
                z = rng.standard_normal((b, self.latent_dim)).astype("float32")
                images = transforms.to_uint8(generate(z))  # quantised exactly as a saved PNG
                if (res, ch) != native:
                    images = transforms.fit(images, "none", res, ch)
                yield images

        spec = tf.TensorSpec((None, res, res, ch), tf.uint8)
        return tf.data.Dataset.from_generator(batches, output_signature=spec).prefetch(1)


def _file_batches(source, batch_size: int, size: int, channels: int) -> tf.data.Dataset:
    """uint8 batches of an ImageSource: in-memory arrays are batched first and fitted batch-wise; files are
    decoded and fitted one by one in parallel (through the shared pipeline's decoder)."""
    from zoo.data.pipeline import raw_dataset

    autotune = tf.data.AUTOTUNE
    if source.arrays is not None and source.crop == "none":
        ds = tf.data.Dataset.from_tensor_slices(source.arrays).batch(batch_size)
        ds = ds.map(lambda x: transforms.fit(x, "none", size, channels), num_parallel_calls=autotune)
        return ds.prefetch(autotune)
    ds = raw_dataset(source).map(lambda d: transforms.fit(d["image"], source.crop, size, channels),
                                 num_parallel_calls=autotune, deterministic=True)
    return ds.batch(batch_size, num_parallel_calls=autotune).prefetch(autotune)


# -- resolving a spec -----------------------------------------------------------------------------------------

def _image_size_of(path: str) -> tuple[int, int]:
    from PIL import Image

    try:
        with Image.open(path) as im:
            return max(im.size), (1 if im.mode in ("L", "I;16", "I") else 3)
    except OSError as e:
        raise ImageSetError(f"cannot read image {path}: {e}") from e


def folder_set(path: str, label: str | None = None) -> ImageSet:
    """Every .jpg/.jpeg/.png under ``path`` (recursive; corrupt files skipped and counted)."""
    from zoo.data import ImageSource
    from zoo.data.files import check_images, list_images

    paths = list_images(path)
    good, bad = check_images(paths, f"images in {path}")
    if not good:
        raise ImageSetError(f"no usable .jpg/.jpeg/.png image in {path} ({len(paths)} files, {len(bad)} corrupt)")
    paths = [paths[i] for i in good]
    res, ch = _image_size_of(paths[0])
    source = ImageSource(name="folder", paths=paths, skipped=len(bad), crop="square")
    return ImageSet(label or os.path.basename(os.path.normpath(path)), "folder", res, ch, len(paths),
                    {"folder": os.path.abspath(path), "images": len(paths), "skipped": len(bad)}, source=source)


SPLITS = ("train", "validation", "test")


def dataset_set(spec: str, split: str | None = None, image_size: int = 64, num_synthetic: int = 2000,
                seed: int = 0) -> ImageSet:
    """``name`` or ``name:DATA_DIR`` for a dataset ``zoo.data.load_source`` knows (utkface, celeba, ffhq,
    synthetic). ``split``: CelebA's own (default train); for the sets without one (UTKFace, FFHQ, synthetic)
    ``all`` (the default) or a part of ``zoo.data.splits.preset_split(n)``, the split the
    presets train on with ``--train-on train``: ``validation`` to choose checkpoints, ``test`` to report."""
    from zoo.data import load_source
    from zoo.data.errors import DataError

    name, _, data_dir = spec.partition(":")
    own_split = name == "celeba"
    split = split or ("train" if own_split else "all")
    if not own_split and split not in ("all", *SPLITS):
        raise DataError(f"split {split!r} of {name}: expected all or one of {', '.join(SPLITS)} (the seeded "
                        f"70/20/10 split the presets train on)")
    source = load_source(name, data_dir or None, split=split if own_split else "train", image_size=image_size,
                         num_synthetic=num_synthetic, seed=seed)
    if not own_split and split != "all":
        from zoo.data.splits import preset_split

        source = source.subset(preset_split(len(source))[split])
    if source.arrays is not None:
        res, ch = source.arrays.shape[1], source.arrays.shape[3]
    elif source.paths:
        res, ch = _image_size_of(source.paths[0])
    else:
        res, ch = image_size, 3
    info = {"dataset": name, "split": split, "images": len(source), "skipped": source.skipped,
            **{k: v for k, v in source.info.items() if k in ("root", "seed", "licence")}}
    return ImageSet(spec if name == "synthetic" else name, "dataset", int(res), int(ch), len(source) or None, info,
                    source=source)


def subset_protocol(count: int) -> dict:
    """What picks a real set's images (``ImageSet.batches`` with seed 0), for the protocol a cached statistic is
    checked against: statistics cached when the subset was in file order are not reused."""
    return {"count": count, "subset_seed": 0, "subset_order": "seeded permutation"}


def generator_set(model, label: str, info: dict) -> ImageSet:
    latent = getattr(model, "latent_dim", None)
    size = getattr(model, "image_size", None) or getattr(model, "resolution", None)
    channels = getattr(model, "channels", 3)
    what = (f"{label}: {type(model).__name__} is not a generator (expected latent_dim and image_size or resolution "
            f"attributes and z [B, latent_dim] -> images [B, S, S, C] in [-1, 1])")
    if not latent or not size:
        raise ImageSetError(what)
    try:
        probe = model(np.zeros((1, int(latent)), np.float32), training=False)
    except Exception as e:  # noqa: BLE001 - any failure here means "not a z -> image model"
        raise ImageSetError(f"{what}; calling it on z failed: {e}") from e
    if isinstance(probe, (dict, list, tuple)) or tuple(probe.shape) != (1, int(size), int(size), int(channels)):
        raise ImageSetError(f"{what}; it returned {getattr(probe, 'shape', type(probe).__name__)}")
    return ImageSet(label, "generator", int(size), int(channels), None, info, generator=model,
                    latent_dim=int(latent))


def _generator_of(model):
    """The z -> image part of a trainer or model (``generator`` or ``decoder``), or the model itself."""
    for attr in ("generator", "decoder"):
        part = getattr(model, attr, None)
        if part is not None and getattr(part, "latent_dim", None):
            return part
    return model


def run_set(run_dir: str, checkpoint: str | None = None, ema: bool = True) -> ImageSet:
    """The model of a run folder (``zoo.runs.run_model``: for a progressive run the EMA generator at the level and
    fade-in it reached) restored from its latest checkpoint, or from ``checkpoint`` (labelled RUN@STEP);
    ``ema=False``: the generator as trained of a run that keeps an EMA (labelled ...@trained)."""
    from zoo.runs import run_model
    from zoo.training.checkpoint import CheckpointError

    label = os.path.basename(os.path.normpath(run_dir))
    try:
        model = run_model(run_dir, checkpoint=checkpoint, ema=ema)
    except (CheckpointError, FileNotFoundError, ValueError) as e:
        raise ImageSetError(f"run folder {run_dir}: {e}") from e
    if checkpoint is not None:
        label += f"@{model.run_info['step']}"
    if model.run_info.get("weights") == "trained":
        label += "@trained"
    return generator_set(model, label, dict(model.run_info))


def keras_file_set(path: str, label: str | None = None) -> ImageSet:
    from zoo.registry import load_keras_model

    model = load_keras_model(path)
    return generator_set(_generator_of(model), label or os.path.splitext(os.path.basename(path))[0],
                         {"keras_file": os.path.abspath(path)})


def preset_set(name: str) -> ImageSet:
    from zoo.registry import from_preset

    model = from_preset(name)
    meta = getattr(model, "preset_metadata", {})
    from zoo.metrics.features import preset_label

    return generator_set(_generator_of(model), preset_label(name),
                         {"preset": name, "weights_sha256": meta.get("weights_sha256"),
                          "dataset": meta.get("dataset")})


TRAINED = "@trained"  # RUN@trained, RUN/checkpoints/ckpt-N@trained: the generator as trained, not its EMA


def resolve(spec: str, *, real: bool = False, split: str | None = None, image_size: int = 64,
            num_synthetic: int = 2000, seed: int = 0) -> ImageSet:
    """An image set from a command-line spec: ``DATASET[:DIR]`` (utkface, celeba, ffhq, synthetic), a folder of
    images, a run folder or one of its checkpoints (``RUN/checkpoints/ckpt-<step>``, kept with
    ``--keep-checkpoints 0``), either with ``@trained`` for the generator as trained where the run keeps an EMA, a
    ``.keras`` generator file or a preset name / folder (``--real`` takes the first two)."""
    from zoo.data import DATASETS
    from zoo.data.errors import DataError
    from zoo.registry import PRESET_DIR, PresetError, list_presets

    if spec.endswith(TRAINED) and not real and os.path.isdir(spec[:-len(TRAINED)]):
        from zoo.runs import checkpoint_run

        folder = spec[:-len(TRAINED)]
        run_dir = checkpoint_run(folder)
        return run_set(run_dir or folder, checkpoint=folder if run_dir else None, ema=False)
    name = spec.partition(":")[0]
    try:
        if name in DATASETS and (":" in spec or not os.path.isdir(spec)):
            return dataset_set(spec, split, image_size, num_synthetic, seed)
    except DataError as e:
        raise ImageSetError(str(e)) from e
    if os.path.isdir(spec):
        from zoo.runs import checkpoint_run

        run_dir = checkpoint_run(spec)
        if run_dir is not None and not real:
            return run_set(run_dir, checkpoint=spec)
        if os.path.isfile(os.path.join(spec, "config.json")) and os.path.isdir(os.path.join(spec, "checkpoints")):
            if real:
                raise ImageSetError(f"--real {spec} is a run folder; --real takes a folder of images or a dataset")
            return run_set(spec)
        if os.path.isfile(os.path.join(spec, "metadata.json")) and os.path.isfile(os.path.join(spec, "weights.npz")):
            if real:
                raise ImageSetError(f"--real {spec} is a preset; --real takes a folder of images or a dataset")
            return preset_set(spec)
        return folder_set(spec)
    if spec.endswith(".keras") and os.path.isfile(spec) and not real:
        return keras_file_set(spec)
    if not real:
        try:
            return preset_set(spec)
        except PresetError as e:
            known = ", ".join(list_presets()) or "none installed"
            raise ImageSetError(f"--fake {spec!r}: not a folder, run folder, .keras file or preset (presets: "
                                f"{known})") from e
    raise ImageSetError(f"--real {spec!r}: not a folder and not a dataset ({', '.join(DATASETS)}, optionally "
                        f"as NAME:DATA_DIR)")
