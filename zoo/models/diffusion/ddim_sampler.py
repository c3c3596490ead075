"""A diffusion model as the zoo's other generators are: z [B, latent_dim] ~ N(0, I) -> images [B, S, S, C] in
[-1, 1], by deterministic DDIM from the noise image z (latent_dim = S * S * C), plus stochastic sampling,
DDIM inversion and SDEdit restoration."""

from __future__ import annotations

import keras

from zoo.models.diffusion import schedule as sched
from zoo.models.diffusion.unet_denoiser import UNetDenoiser


def _steps(indices, desc: str, progress: bool):
    """``indices``, behind a progress bar when asked."""
    if not progress:
        return indices
    from tqdm.auto import tqdm

    return tqdm(indices, desc=desc, unit="step", leave=False)


@keras.saving.register_keras_serializable(package="facezoo")
class DDIMSampler(keras.Model):
    """Wraps a ``UNetDenoiser`` (the EMA weights, in a trained preset) with the per-channel normalisation of the
    training images (the reference's ``Normalization`` layer, adapted on them: images enter the diffusion with zero
    mean and unit variance, like the noise) and the schedule.

    ``call(z)`` runs ``steps`` deterministic DDIM steps from the noise image ``reshape(z, [B, S, S, C])``: the same z
    gives the same image, so interpolation, evaluation and the latent tools treat it as any generator.
    ``prediction``: what the denoiser outputs, ``noise`` (the reference) or ``velocity``.
    """

    def __init__(self, denoiser=None, image_size: int = 64, channels: int = 3, steps: int = 20,
                 min_signal_rate: float = 0.02, max_signal_rate: float = 0.95, prediction: str = "noise", **kwargs):
        super().__init__(**kwargs)
        if prediction not in sched.PREDICTIONS:
            raise ValueError(f"unknown prediction {prediction!r}; expected one of {sched.PREDICTIONS}")
        if not 0 < min_signal_rate < max_signal_rate <= 1:
            raise ValueError(f"need 0 < min_signal_rate < max_signal_rate <= 1, got {min_signal_rate}, "
                             f"{max_signal_rate}")
        sched.sampling_times(steps)
        if isinstance(denoiser, dict):
            denoiser = keras.saving.deserialize_keras_object(denoiser)
        self.denoiser = denoiser if denoiser is not None else UNetDenoiser(image_size, channels, name="denoiser")
        if (self.denoiser.image_size, self.denoiser.channels) != (image_size, channels):
            raise ValueError(f"the denoiser takes {self.denoiser.image_size} px, {self.denoiser.channels} channels; "
                             f"the sampler was asked for {image_size} px, {channels}")
        self.image_size, self.channels, self.steps = image_size, channels, int(steps)
        self.min_signal_rate, self.max_signal_rate = float(min_signal_rate), float(max_signal_rate)
        self.prediction = prediction
        self.latent_dim = image_size * image_size * channels
        self.pixel_mean = self.add_weight(shape=(channels,), initializer="zeros", trainable=False, name="pixel_mean")
        self.pixel_std = self.add_weight(shape=(channels,), initializer="ones", trainable=False, name="pixel_std")

    def build(self, input_shape):
        """``input_shape`` (None, latent_dim): z."""
        if not self.denoiser.built:
            self.denoiser.build(self.denoiser.input_shapes())
        self.built = True

    # -- the pieces -------------------------------------------------------------------------------------------
    def schedule(self, times):
        """times -> (noise_rates, signal_rates), both float32 like ``times``."""
        return sched.cosine_schedule(times, self.min_signal_rate, self.max_signal_rate, xp=keras.ops)

    def normalize(self, images):
        """images in [-1, 1] -> zero mean, unit variance per channel (the training images' statistics)."""
        return (keras.ops.cast(images, "float32") - self.pixel_mean) / self.pixel_std

    def denormalize(self, x):
        return keras.ops.clip(x * self.pixel_std + self.pixel_mean, -1.0, 1.0)

    def denoise(self, noisy_images, noise_rates, signal_rates, training=False):
        """(predicted noise, predicted normalised image) of ``noisy_images`` at the given rates [B, 1, 1, 1]."""
        output = self.denoiser([noisy_images, noise_rates ** 2], training=training)
        return sched.split_prediction(self.prediction, keras.ops.cast(output, "float32"), noisy_images, noise_rates,
                                      signal_rates)

    def _rates(self, t, batch):
        return self.schedule(keras.ops.full((batch, 1, 1, 1), t, dtype="float32"))

    # -- sampling ---------------------------------------------------------------------------------------------
    def reverse(self, noisy_images, steps: int | None = None, start: float = 1.0, eta: float = 0.0, seed=None,
                progress: bool = False):
        """Denoise normalised ``noisy_images`` from diffusion time ``start`` to 0 in ``steps`` equal steps; returns
        the last step's image estimate (normalised). ``eta`` > 0: stochastic (eq. 16), with ``seed`` (an int or a
        ``keras.random.SeedGenerator``) for the fresh noise."""
        times = sched.sampling_times(steps or self.steps, start)
        batch = keras.ops.shape(noisy_images)[0]
        x = keras.ops.cast(noisy_images, "float32")
        if eta > 0 and seed is None:
            raise ValueError("stochastic sampling (eta > 0) needs a seed")
        seeds = keras.random.SeedGenerator(seed) if isinstance(seed, int) else seed
        pred_images = x
        indices = _steps(range(len(times) - 1), "DDIM", progress)
        for i in indices:
            noise_rates, signal_rates = self._rates(times[i], batch)
            pred_noises, pred_images = self.denoise(x, noise_rates, signal_rates)
            if i == len(times) - 2:
                break
            next_noise, next_signal = self._rates(times[i + 1], batch)
            fresh = keras.random.normal(keras.ops.shape(x), seed=seeds) if eta > 0 else None
            x = sched.ddim_update(pred_images, pred_noises, next_noise, next_signal, noise_rates, signal_rates,
                                  eta=eta, fresh_noise=fresh, xp=keras.ops)
        return pred_images

    def call(self, z, training=False):
        noise = keras.ops.reshape(keras.ops.cast(z, "float32"), (-1, self.image_size, self.image_size, self.channels))
        return self.denormalize(self.reverse(noise))

    def generate(self, z, steps: int | None = None, eta: float = 0.0, seed=None, progress: bool = False):
        """Images [B, S, S, C] in [-1, 1] from z [B, latent_dim] (or noise images [B, S, S, C]) with ``steps`` steps
        (default: the sampler's) and ``eta`` (0: deterministic DDIM; 1: DDPM-like)."""
        noise = keras.ops.reshape(keras.ops.cast(z, "float32"), (-1, self.image_size, self.image_size, self.channels))
        return self.denormalize(self.reverse(noise, steps, eta=eta, seed=seed, progress=progress))

    # -- images in ----------------------------------------------------------------------------------------------
    def invert(self, images, steps: int | None = None, progress: bool = False, refinements: int = 3):
        """DDIM inversion: images [B, S, S, C] in [-1, 1] -> z [B, latent_dim], the noise from which ``generate``
        (same steps, eta 0) returns them: the deterministic process run forwards in time (Song et al. 2021,
        section 4.3), each step re-using the current noise estimate. The sampler's last step returns its image
        estimate at t = 1/steps, so the path starts at the noisy image whose estimate is the input, found by
        ``refinements`` fixed-point iterations of x = a y + s eps(x)."""
        times = list(reversed(sched.sampling_times(steps or self.steps)))  # 0 -> 1
        target = self.normalize(images)
        batch = keras.ops.shape(target)[0]
        noise_rates, signal_rates = self._rates(times[1], batch)
        x = signal_rates * target
        for _ in range(refinements):
            pred_noises, _ = self.denoise(x, noise_rates, signal_rates)
            x = signal_rates * target + noise_rates * pred_noises
        indices = _steps(range(1, len(times) - 1), "DDIM inversion", progress)
        for i in indices:
            noise_rates, signal_rates = self._rates(times[i], batch)
            pred_noises, pred_images = self.denoise(x, noise_rates, signal_rates)
            next_noise, next_signal = self._rates(times[i + 1], batch)
            x = next_signal * pred_images + next_noise * pred_noises
        return keras.ops.reshape(x, (batch, self.latent_dim))

    def restore(self, images, strength: float = 0.5, steps: int | None = None, seed: int = 0,
                progress: bool = False):
        """SDEdit (Meng et al. 2022): noise images [B, S, S, C] in [-1, 1] to diffusion time ``strength`` in (0, 1]
        with seeded Gaussian noise, then denoise deterministically back to an image; ``steps`` counts the steps from
        ``strength`` (default: the sampler's, scaled by ``strength``). Higher strength repairs more and keeps less."""
        if not 0 < strength <= 1:
            raise ValueError(f"strength must be in (0, 1], got {strength}")
        x = self.normalize(images)
        batch = keras.ops.shape(x)[0]
        noise_rates, signal_rates = self._rates(strength, batch)
        noise = keras.random.normal(keras.ops.shape(x), seed=keras.random.SeedGenerator(seed))
        steps = steps or max(1, round(self.steps * strength))
        return self.denormalize(self.reverse(signal_rates * x + noise_rates * noise, steps, start=strength,
                                             progress=progress))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.image_size, self.image_size, self.channels)

    def get_config(self):
        return {"denoiser": keras.saving.serialize_keras_object(self.denoiser), "image_size": self.image_size,
                "channels": self.channels, "steps": self.steps, "min_signal_rate": self.min_signal_rate,
                "max_signal_rate": self.max_signal_rate, "prediction": self.prediction, "name": self.name}
