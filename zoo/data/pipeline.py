"""The one tf.data pipeline every recipe uses: decode -> crop -> resize -> cache -> shuffle -> batch -> scale."""

from __future__ import annotations

import tensorflow as tf

from zoo.data import transforms
from zoo.data.source import ImageSource

AUTOTUNE = tf.data.AUTOTUNE


def _decode(path):
    raw = tf.io.read_file(path)
    return tf.io.decode_image(raw, channels=3, expand_animations=False)


def raw_dataset(source: ImageSource, labels: tuple[str, ...] = ()) -> tf.data.Dataset:
    """Unbatched dicts ``{"image": uint8 [H, W, C], <label>: value}`` straight from the source, decoded in
    parallel; files that fail to decode despite the up-front check are dropped with a logged warning."""
    missing = [k for k in labels if k not in source.labels and source.dataset_fn is None]
    if missing:
        raise ValueError(f"{source.name} has no labels {missing}; it has {sorted(source.labels)}")
    lab = {k: source.labels[k] for k in labels} if source.dataset_fn is None else {}
    if source.paths is not None:
        ds = tf.data.Dataset.from_tensor_slices({"image": list(source.paths), **lab})
        ds = ds.map(lambda d: {**d, "image": _decode(d["image"])}, num_parallel_calls=AUTOTUNE,
                    deterministic=True)
        return ds.ignore_errors(log_warning=True)
    if source.arrays is not None:
        return tf.data.Dataset.from_tensor_slices({"image": source.arrays, **lab})
    ds = source.dataset_fn()
    return ds.map(lambda d: {"image": d["image"], **{k: d[k] for k in labels}})


def full_shuffle_buffer(count: int, image_bytes: int, budget: int = 8 << 30) -> int:
    """The shuffle buffer of a uniform permutation of ``count`` examples of ``image_bytes`` each: all of them.

    A smaller buffer is only a local shuffle: over files sorted by name (UTKFace's are sorted by age) the first
    part of an epoch then comes from the first part of the folder. The whole set is held twice in memory (cache
    and buffer), so a set over ``budget`` bytes is refused with the way out rather than shuffled partially."""
    count = max(int(count), 1)
    if count * image_bytes > budget:
        raise ValueError(f"a uniform shuffle of {count} images of {image_bytes} bytes needs "
                         f"{count * image_bytes / 2**30:.1f} GiB in memory (over {budget / 2**30:.0f} GiB); "
                         "train at a smaller --image-size or on a subset")
    return count


def _run_order(examples: tf.data.Dataset, count: int, batch_size: int, shuffle_buffer: int, seed: int,
               start_batch: int) -> tf.data.Dataset:
    """``examples`` repeated forever, data-epoch ``e`` shuffled with its own seed (``seed``, ``e``), starting at
    example ``start_batch * batch_size`` of that infinite order. Reaching it costs at most one data-epoch of
    input reading (the whole epochs before it are skipped by number, not read), and no training step."""
    if start_batch < 0:
        raise ValueError(f"start_batch must be >= 0, got {start_batch}")
    first_epoch, skip = divmod(int(start_batch) * batch_size, max(int(count), 1))

    def epoch(e):
        if not shuffle_buffer:
            return examples
        # The shuffle's two seeds are (this function graph's seed, the epoch): the order depends on ``seed`` and
        # the epoch alone, not on the process's global seed (and TF's check of a tensor op seed against a global
        # seed of 0 cannot fail, as the graph seed is never 0).
        tf.compat.v1.get_default_graph().seed = int(seed) % 2_147_483_646 + 1
        return examples.shuffle(shuffle_buffer, seed=e, reshuffle_each_iteration=False)

    epochs = tf.data.Dataset.counter(start=first_epoch, dtype=tf.int64)
    return epochs.flat_map(epoch).skip(skip)


def make_dataset(
    source: ImageSource,
    image_size: int,
    batch_size: int,
    *,
    channels: int = 3,
    crop: str | None = None,
    labels: tuple[str, ...] = (),
    shuffle: bool = True,
    seed: int = 0,
    cache: bool | str = True,
    repeat: bool = True,
    drop_remainder: bool = True,
    shuffle_buffer: int | None = None,
    start_batch: int = 0,
) -> tf.data.Dataset:
    """Batches of images [B, S, S, C] float32 in [-1, 1] (or ``(images, {label: [B]})`` when ``labels`` given).

    The crop (default: the source's own) and resize happen before the cache, so the cache holds small uint8
    images; ``cache`` may be a file path to cache on disk. Shuffling is seeded and reshuffles every epoch; each
    epoch is a uniform permutation of the whole set (``shuffle_buffer`` None: a buffer of every example).
    With ``repeat`` the dataset is infinite (the training loop counts steps) and is one seeded order for the
    whole run: batch ``i`` of ``make_dataset(..., start_batch=s)`` is batch ``s + i`` of the order, so a run
    resumed at step ``s`` sees exactly the batches an uninterrupted run would.
    """
    if image_size < 4:
        raise ValueError(f"image_size must be at least 4, got {image_size}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3, got {channels}")
    crop = crop or source.crop

    def prepare(d):
        img = transforms.crop(d["image"], crop)
        img = transforms.resize(img, image_size)
        img = transforms.to_channels(img, channels)
        img = tf.ensure_shape(img, (image_size, image_size, channels))
        return {**d, "image": img}

    ds = raw_dataset(source, labels).map(prepare, num_parallel_calls=AUTOTUNE, deterministic=True)
    if shuffle and shuffle_buffer is None:
        shuffle_buffer = full_shuffle_buffer(len(source), image_size * image_size * channels)
    if cache:
        ds = ds.cache(cache if isinstance(cache, str) else "")
    if repeat:
        ds = _run_order(ds, len(source), batch_size, shuffle_buffer if shuffle else 0, seed, start_batch)
    else:
        if start_batch:
            raise ValueError(f"start_batch ({start_batch}) needs repeat=True: a finite dataset has no run order")
        if shuffle:
            ds = ds.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder, num_parallel_calls=AUTOTUNE)

    def finish(d):
        images = transforms.to_float(d.pop("image"))
        return (images, d) if labels else images

    return ds.map(finish, num_parallel_calls=AUTOTUNE).prefetch(AUTOTUNE)


def group_batches(batches: tf.data.Dataset, schedule, start_step: int = 0) -> tf.data.Dataset:
    """Batches [B, ...] -> one element per training step of ``schedule(step)`` batches, [k * B, ...], in order.

    ``schedule``: int64 step tensor -> int64 number of batches (e.g. WGAN's warm-up: 100 real batches at some
    steps, n_critic at the others); steps are counted from ``start_step`` (a resumed run's step). Elements must
    be image tensors (no labels).
    """
    def assign(state, images):
        step, used = state
        used = used + 1
        done = used >= tf.cast(schedule(step), tf.int64)
        zero = tf.constant(0, tf.int64)
        return (tf.where(done, step + 1, step), tf.where(done, zero, used)), (step, images)

    def merge(key, window):
        stacked = window.map(lambda step, images: images).batch(tf.cast(schedule(key), tf.int64))  # [k, B, ...]
        return stacked.map(lambda x: tf.reshape(x, tf.concat([[-1], tf.shape(x)[2:]], axis=0)))

    steps = batches.scan((tf.constant(int(start_step), tf.int64), tf.constant(0, tf.int64)), assign)
    return steps.group_by_window(key_func=lambda step, images: step, reduce_func=merge,
                                 window_size_func=lambda step: tf.cast(schedule(step), tf.int64))
