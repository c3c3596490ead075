"""Labelled batches for the classifier heads, with the training augmentation (seeded flips, shifts and the photo
augmentation of ``zoo.classification.photo_augment``)."""

from __future__ import annotations

# The heads each ``--task`` trains: one task, or all three on one trunk.
TASK_SETS = {"gender": ("gender",), "ethnicity": ("ethnicity",), "age": ("age",),
             "all": ("gender", "ethnicity", "age")}


def _to_tasks(images, labels):
    return images, {"gender": labels["gender"], "ethnicity": labels["race"], "age": labels["age"]}


def make_labelled_dataset(source, cfg, *, training: bool, seed_offset: int = 0):
    """Batches ``(images [B, S, S, C] in [-1, 1], {"gender", "ethnicity", "age": [B]})`` of ``source``: infinite,
    shuffled and (with ``cfg.flip`` / ``cfg.shift`` / ``cfg.photo_augment``) randomly flipped / translated / framed
    and lit as a photo when ``training``, else one ordered pass. ``cfg`` gives ``image_size``, ``batch_size``,
    ``channels``, ``seed``, ``flip``, ``shift`` and ``photo_augment``."""
    from zoo.data import make_dataset

    ds = make_dataset(source, cfg.image_size, cfg.batch_size, channels=cfg.channels,
                      labels=("gender", "race", "age"), shuffle=training, seed=cfg.seed * 1_000_003 + seed_offset,
                      repeat=training, drop_remainder=training)
    ds = ds.map(_to_tasks)
    if training and (cfg.flip or cfg.shift or cfg.photo_augment):
        seed = cfg.seed * 1_000_003 + seed_offset
        import tensorflow as tf

        from zoo.classification.photo_augment import photo_augment

        def augment(i, xy):
            images = random_flip(xy[0], seed, i) if cfg.flip else xy[0]
            images = random_shift(images, cfg.shift, seed, i) if cfg.shift else images
            return (photo_augment(images, cfg.photo_augment, seed, i) if cfg.photo_augment else images), xy[1]

        ds = ds.enumerate().map(tf.autograph.experimental.do_not_convert(augment))
    return ds


def random_flip(images, seed, index):
    """Each image of the batch ``images [B, H, W, C]`` mirrored left-right with probability 1/2, seeded by
    (seed, batch index)."""
    import tensorflow as tf

    coin = tf.random.stateless_uniform((tf.shape(images)[0], 1, 1, 1), seed=tf.stack([tf.cast(seed, tf.int64), index]))
    return tf.where(coin < 0.5, tf.reverse(images, [2]), images)


def random_shift(images, fraction, seed, index):
    """Each image of the batch ``images [B, S, S, C]`` translated by a random whole number of pixels in [-m, m]
    along each axis, m = round(fraction * S), the uncovered border filled by reflection; seeded by (seed, batch
    index). ``images`` itself when m is 0."""
    import tensorflow as tf

    size = images.shape[1]
    m = int(round(fraction * size))
    if m == 0:
        return images
    padded = tf.pad(images, [[0, 0], [m, m], [m, m], [0, 0]], mode="REFLECT")
    n = tf.shape(images)[0]
    offsets = tf.random.stateless_uniform((n, 2), seed=tf.stack([tf.cast(seed, tf.int64) + 1, index]),
                                          minval=0, maxval=2 * m + 1, dtype=tf.int32)
    rows = offsets[:, :1] + tf.range(size)[None]  # [B, S] rows of the padded image to keep
    cols = offsets[:, 1:] + tf.range(size)[None]
    out = tf.gather(padded, rows, axis=1, batch_dims=1)
    return tf.gather(out, cols, axis=2, batch_dims=1)
