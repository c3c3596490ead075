"""ADA (Karras et al. 2020, "Training Generative Adversarial Networks with Limited Data", NVlabs stylegan2-ada):
an augmentation pipeline whose every op is applied with probability p, and the controller that tunes p from the
overfitting heuristic r_t = E[sign(D(augmented reals))]: every ``interval`` (4) discriminator updates,
p += sign(r_t - target) * (images in those updates) / (kimg * 1000), clamped to [0, 1].

The pipeline is a faithful subset of the reference's ``bgc``: the pixel-blitting group (x-flip, 90-degree
rotations, integer translation up to 1/8 of the side with reflected borders) and the colour group (brightness
N(0, 0.2), contrast 2^N(0, 0.5), luma flip, hue rotation U(-pi, pi), saturation 2^N(0, 1), composed as one 4x4
colour matrix per image, about 0 = mid-grey of [-1, 1] images, as the reference). Left out: the general geometric
group (isotropic and anisotropic scaling, arbitrary rotation, fractional translation), which needs the
reference's wavelet-filtered 2x upsampled resampling to avoid leaking aliasing into the generator; not built here.
An op that is not applied uses the identity exactly, so p = 0 leaves the images bit for bit.
"""

from __future__ import annotations

import math

import keras
import tensorflow as tf

from zoo.augment.base import Augmenter

INTERVAL = 4  # discriminator updates between adjustments (the reference's ada_interval)
XINT_MAX = 0.125  # integer translation range, relative to the side
BRIGHTNESS_STD, CONTRAST_STD, SATURATION_STD, HUE_MAX = 0.2, 0.5, 1.0, 1.0
_LUMA = [1.0 / math.sqrt(3.0)] * 3 + [0.0]  # the luma axis, homogeneous
OPS = ("xflip", "rotate90", "xint", "brightness", "contrast", "lumaflip", "hue", "saturation")


def _reflect(index, size: int):
    """Indices outside [0, size) mirrored back without repeating the edge (torch's 'reflect' padding); valid for
    |offset| < size."""
    index = tf.abs(index)
    return (size - 1) - tf.abs((size - 1) - index)


def _translate(images, shift, axis: int):
    size = images.shape[axis]
    source = _reflect(tf.range(size, dtype=tf.int32)[None, :] - shift, size)
    return tf.gather(images, source, axis=axis, batch_dims=1)


def _outer(v, w):
    return v[:, :, None] * w[:, None, :]


def _rotation_about_luma(theta):
    """[B, 4, 4] rotations by ``theta`` [B] about the luma axis (the reference's rotate3d)."""
    v = tf.constant(_LUMA[:3], tf.float32)
    c, s = tf.cos(theta), tf.sin(theta)
    cc = 1.0 - c
    vx, vy, vz = v[0], v[1], v[2]
    rows = [[vx * vx * cc + c, vx * vy * cc - vz * s, vx * vz * cc + vy * s],
            [vy * vx * cc + vz * s, vy * vy * cc + c, vy * vz * cc - vx * s],
            [vz * vx * cc - vy * s, vz * vy * cc + vx * s, vz * vz * cc + c]]
    zero, one = tf.zeros_like(theta), tf.ones_like(theta)
    m = [[*r, zero] for r in rows] + [[zero, zero, zero, one]]
    return tf.stack([tf.stack(r, axis=-1) for r in m], axis=-2)


@keras.saving.register_keras_serializable(package="facezoo")
class ADA(Augmenter):
    """The ADA pipeline and its p controller. State, all tracked by the trainer and so checkpointed: ``p``,
    ``r_t`` (the last heuristic), the running sums of signs and images of the current interval, the update count
    and the random stream. ``target`` 0.6 and ``kimg`` 500 are the reference's defaults; ``p`` starts at
    ``initial_p`` (0 as the reference). ``ops``: the subset of ``OPS`` applied (all by default: the reference's
    per-op multipliers of 'bgc' set to 1 or 0). Square images only (90-degree rotations)."""

    def __init__(self, target: float = 0.6, kimg: float = 500.0, interval: int = INTERVAL, initial_p: float = 0.0,
                 ops: tuple = OPS, seed: int = 0, **kwargs):
        super().__init__(seed=seed, **kwargs)
        unknown = [o for o in ops if o not in OPS]
        if unknown:
            raise ValueError(f"unknown ADA op {unknown[0]!r}; expected some of {', '.join(OPS)}")
        self.ops = tuple(o for o in OPS if o in ops)
        if kimg <= 0:
            raise ValueError(f"ADA kimg must be positive, got {kimg}")
        if interval < 1:
            raise ValueError(f"ADA interval must be at least 1, got {interval}")
        self.target, self.kimg, self.interval = float(target), float(kimg), int(interval)
        self.initial_p = float(initial_p)

        def state(name, value=0.0, dtype="float32"):
            # Every replica computes the same update from all-reduced sums; one is kept.
            return self.add_weight(shape=(), dtype=dtype, name=name, trainable=False, aggregation="only_first_replica",
                                   initializer=keras.initializers.Constant(value))

        self.p = state("p", self.initial_p)
        self.r_t = state("r_t")
        self.sign_sum = state("sign_sum")
        self.sign_count = state("sign_count")
        self.updates = state("updates", 0, "int64")

    # -- the controller ------------------------------------------------------------------------------------
    def observe(self, real_logits) -> None:
        signs = tf.sign(tf.cast(real_logits, tf.float32))
        total = tf.reduce_sum(signs)
        count = tf.cast(tf.size(signs), tf.float32)
        ctx = tf.distribute.get_replica_context()
        if ctx is not None and ctx.num_replicas_in_sync > 1:  # the heuristic is over the global batch
            total, count = ctx.all_reduce(tf.distribute.ReduceOp.SUM, [total, count])
        total = self.sign_sum + total
        count = self.sign_count + count
        updates = self.updates + 1
        due = updates % self.interval == 0
        r_t = total / tf.maximum(count, 1.0)
        adjusted = tf.clip_by_value(self.p + tf.sign(r_t - self.target) * count / (self.kimg * 1000.0), 0.0, 1.0)
        self.p.assign(tf.where(due, adjusted, self.p))
        self.r_t.assign(tf.where(due, r_t, self.r_t))
        self.sign_sum.assign(tf.where(due, 0.0, total))
        self.sign_count.assign(tf.where(due, 0.0, count))
        self.updates.assign(updates)

    def logs(self) -> dict:
        return {"augment_p": tf.identity(self.p), "r_t": tf.identity(self.r_t)}

    # -- the pipeline --------------------------------------------------------------------------------------
    def _chance(self, batch, p):
        return keras.random.uniform((batch,), seed=self.seed_generator) < p

    def _uniform(self, *shape):
        return keras.random.uniform(shape, seed=self.seed_generator)

    def _normal(self, *shape):
        return keras.random.normal(shape, seed=self.seed_generator)

    def augment(self, images):
        height, width, channels = images.shape[1], images.shape[2], images.shape[3]
        if height != width:
            raise ValueError(f"ADA's 90-degree rotations need square images, got {height}x{width}")
        batch = tf.shape(images)[0]
        p = tf.cast(self.p, tf.float32)
        x = images

        def per_image(cond):
            return tf.reshape(cond, [-1, 1, 1, 1])

        # pixel blitting
        if "xflip" in self.ops:
            flip = (self._uniform(batch) < 0.5) & self._chance(batch, p)
            x = tf.where(per_image(flip), tf.reverse(x, axis=[2]), x)
        if "rotate90" in self.ops:
            quarter = tf.cast(tf.floor(self._uniform(batch) * 4.0), tf.int32)
            quarter = tf.where(self._chance(batch, p), quarter, 0)
            for k in (1, 2, 3):
                x = tf.where(per_image(quarter == k), tf.image.rot90(x, k), x)
        if "xint" in self.ops:
            shift = tf.cast(tf.round((self._uniform(batch, 2) * 2.0 - 1.0) * XINT_MAX * width), tf.int32)
            shift = tf.where(self._chance(batch, p)[:, None], shift, 0)
            x = _translate(_translate(x, shift[:, :1], axis=2), shift[:, 1:], axis=1)
        if not {"brightness", "contrast", "lumaflip", "hue", "saturation"} & set(self.ops):
            return x

        # colour: one 4x4 matrix per image; an op not applied contributes the exact identity
        eye = tf.eye(4, batch_shape=[batch])
        v = tf.constant(_LUMA, tf.float32)[None, :] * tf.ones([batch, 1])
        vv = _outer(v, v)

        def where(cond, m):
            return tf.where(tf.reshape(cond, [-1, 1, 1]), m, eye)

        c = eye
        if "brightness" in self.ops:
            b = self._normal(batch) * BRIGHTNESS_STD
            shift = tf.stack([b, b, b, tf.zeros_like(b)], -1)[:, :, None]
            c = where(self._chance(batch, p), eye + tf.concat([tf.zeros([batch, 4, 3]), shift], -1))
        if "contrast" in self.ops:
            contrast = tf.pow(2.0, self._normal(batch) * CONTRAST_STD)
            scale = tf.linalg.diag(tf.stack([contrast, contrast, contrast, tf.ones_like(contrast)], -1))
            c = tf.matmul(where(self._chance(batch, p), scale), c)
        if "lumaflip" in self.ops:
            luma = (self._uniform(batch) < 0.5) & self._chance(batch, p)
            c = tf.matmul(where(luma, eye - 2.0 * vv), c)
        if "hue" in self.ops and channels > 1:
            theta = (self._uniform(batch) * 2.0 - 1.0) * math.pi * HUE_MAX
            c = tf.matmul(where(self._chance(batch, p), _rotation_about_luma(theta)), c)
        if "saturation" in self.ops and channels > 1:
            s = tf.pow(2.0, self._normal(batch) * SATURATION_STD)[:, None, None]
            c = tf.matmul(where(self._chance(batch, p), vv + (eye - vv) * s), c)
        c = tf.cast(c, x.dtype)
        if channels == 3:
            return tf.einsum("bij,bhwj->bhwi", c[:, :3, :3], x) + c[:, None, None, :3, 3]
        if channels == 1:  # the reference's grey case: the mean row of the colour matrix
            row = tf.reduce_mean(c[:, :3, :], axis=1)
            return x * tf.reduce_sum(row[:, :3], axis=1)[:, None, None, None] + row[:, None, None, 3:]
        raise ValueError(f"ADA augments RGB or grey images, got {channels} channels")

    def get_config(self):
        return {**super().get_config(), "target": self.target, "kimg": self.kimg, "interval": self.interval,
                "initial_p": self.initial_p, "ops": list(self.ops)}
