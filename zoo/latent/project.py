"""Projection of a real photo into a generator's latent space, after StyleGAN's projector (Karras et al. 2020):
Adam on the latent from the latents' mean, with a noise added to the latent that ramps down to 0 over the first
three quarters and a learning rate that ramps up (5%) and down (last 25%, cosine); the loss is the pixel MSE plus
a perceptual distance, here in the feature maps of a zoo classifier's FaceFeatures trunk (StyleGAN uses LPIPS:
unit-normalised VGG feature maps; we normalise ours the same way, with no learned weights)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from zoo.latent.models import AttributeClassifier, Generator


class PerceptualDistance:
    """Mean over the trunk's blocks of the squared difference of channel-normalised feature maps (LPIPS-like).

    ``classifier``: a FaceClassifier (or ensemble, whose first member's trunk is used) or preset name.
    Images [B, H, W, C] in [-1, 1] are resized/converted to the classifier's input inside the graph.
    """

    def __init__(self, classifier):
        clf = AttributeClassifier(classifier)
        model = clf.model.members[0] if hasattr(clf.model, "members") else clf.model
        self.blocks, self.size, self.channels = model.features.blocks, clf.size, clf.channels

    def features(self, images):
        import tensorflow as tf

        x = tf.image.resize(images, (self.size, self.size), antialias=True)
        if x.shape[-1] == 3 and self.channels == 1:
            x = tf.image.rgb_to_grayscale(x)
        maps = []
        for conv, pool, norm in self.blocks:
            x = norm(pool(conv(x)), training=False)
            maps.append(x / (tf.norm(x, axis=-1, keepdims=True) + 1e-8))
        return maps

    def __call__(self, a, b):
        import tensorflow as tf

        fa, fb = self.features(a), self.features(b)
        return tf.add_n([tf.reduce_mean(tf.reduce_sum(tf.square(x - y), -1), axis=[1, 2]) for x, y in zip(fa, fb)]) \
            / len(fa)


@dataclasses.dataclass
class Projection:
    """``latent`` [1, ...] the best found (last step); ``losses`` [steps] total; ``pixel``/``perceptual`` [steps];
    ``trajectory`` [T, ...] latents every ``record_every`` steps (first and last included), ``trajectory_steps``."""

    latent: np.ndarray
    losses: np.ndarray
    pixel: np.ndarray
    perceptual: np.ndarray
    trajectory: np.ndarray
    trajectory_steps: np.ndarray

    def save(self, path: str) -> None:
        from zoo.utils.io import atomic_path

        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            np.savez(f, **dataclasses.asdict(self))


def project(generator: Generator, target, steps: int = 300, perceptual=None, perceptual_weight: float = 1.0,
            initial_lr: float = 0.1, initial_noise_factor: float = 0.05, noise_ramp_length: float = 0.75,
            lr_rampdown_length: float = 0.25, lr_rampup_length: float = 0.05, num_stat_samples: int = 2000,
            record_every: int = 10, seed: int = 0, progress: bool = True, init=None, eager: bool = False
            ) -> Projection:
    """Find a latent whose image reproduces ``target`` [1, H, W, C] (or [H, W, C]) in [-1, 1].

    The start is ``init`` [1, ...] (an encoder's latent of the photo) or, without it, the mean of
    ``num_stat_samples`` latents of the generator's space (for StyleGAN w: ~ w_avg); their spread sets the noise
    scale either way. ``perceptual`` a PerceptualDistance or None (pixel MSE only). One step (forward, gradient,
    Adam update) runs as a ``tf.function`` traced once; ``eager=True`` runs the same step eagerly.
    """
    import tensorflow as tf
    from tqdm.auto import tqdm

    target_t = tf.constant(match_target(generator, target, seed))
    stats = generator.sample_latents(num_stat_samples, seed)
    mean = stats.mean(0, keepdims=True)
    latent_std = float(np.sqrt(np.sum((stats - mean) ** 2) / len(stats)))
    if init is not None:
        init = np.asarray(init, np.float32).reshape(mean.shape)
    latent = tf.Variable(mean.astype(np.float32) if init is None else init)
    opt = tf.keras.optimizers.Adam(learning_rate=initial_lr, beta_1=0.9, beta_2=0.999, epsilon=1e-8)
    opt.build([latent])  # its slots exist before the step is traced

    def step_fn(noise):
        with tf.GradientTape() as tape:
            loss, pixel, perc = reconstruction_loss(generator.decode_tensor(latent + noise), target_t, perceptual,
                                                    perceptual_weight)
        opt.apply_gradients([(tape.gradient(loss, latent), latent)])
        return loss, pixel, perc

    step_fn = step_fn if eager else tf.function(step_fn)
    rng = np.random.default_rng(seed)
    losses, pix, per, traj, traj_steps = [], [], [], [], []
    for step in tqdm(range(steps), desc="projecting", disable=not progress, leave=False):
        t = step / max(1, steps)
        noise_strength = latent_std * initial_noise_factor * max(0.0, 1.0 - t / noise_ramp_length) ** 2
        lr_ramp = min(1.0, (1.0 - t) / lr_rampdown_length)
        lr_ramp = (0.5 - 0.5 * math.cos(lr_ramp * math.pi)) * min(1.0, t / lr_rampup_length)
        opt.learning_rate.assign(initial_lr * lr_ramp)
        noise = tf.constant(rng.standard_normal(latent.shape).astype(np.float32) * noise_strength)
        loss, pixel, perc = step_fn(noise)
        losses.append(float(loss))
        pix.append(float(pixel))
        per.append(float(perc))
        if step % record_every == 0 or step == steps - 1:  # step 0's learning rate is 0: the start
            traj.append(latent.numpy()[0].copy())
            traj_steps.append(step)
    return Projection(latent.numpy(), np.array(losses), np.array(pix), np.array(per), np.stack(traj),
                      np.array(traj_steps))


def match_target(generator: Generator, target, seed: int = 0) -> np.ndarray:
    """``target`` [1, H, W, C] or [H, W, C] in [-1, 1] at the generator's output size and channels."""
    import tensorflow as tf

    target = np.asarray(target, np.float32)
    target = target[None] if target.ndim == 3 else target
    out_shape = generator(generator.sample_latents(1, seed)).shape[1:]
    if target.shape[1:3] != out_shape[:2]:
        target = np.asarray(tf.image.resize(target, out_shape[:2], antialias=True), np.float32)
    if target.shape[-1] != out_shape[-1]:
        target = np.repeat(target, out_shape[-1], -1) if target.shape[-1] == 1 else \
            np.asarray(tf.image.rgb_to_grayscale(target), np.float32)
    return target


def projection_loss(generator: Generator, latent, target, perceptual=None, perceptual_weight: float = 1.0) -> float:
    """The projector's loss (no noise) of ``latent`` [1, ...] against ``target`` [1, H, W, C]."""
    import tensorflow as tf

    images = generator.decode_tensor(tf.constant(np.asarray(latent, np.float32)))
    return float(reconstruction_loss(images, tf.constant(np.asarray(target, np.float32)), perceptual,
                                     perceptual_weight)[0])


def reconstruction_loss(images, target, perceptual=None, perceptual_weight: float = 1.0):
    """``(loss, pixel, perceptual)`` scalar tensors by which a drawn face is matched to a photo (the projector's
    and pivotal tuning's): pixel MSE plus ``perceptual_weight`` times the mean ``perceptual`` distance (0 without)."""
    import tensorflow as tf

    pixel = tf.reduce_mean(tf.square(images - target))
    perc = tf.reduce_mean(perceptual(images, target)) if perceptual is not None else tf.constant(0.0)
    return pixel + perceptual_weight * perc, pixel, perc
