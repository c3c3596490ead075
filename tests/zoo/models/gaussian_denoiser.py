"""The exact denoiser of Gaussian data, shared by the diffusion tests: with it, DDIM is exact up to its steps'
discretisation, so sampling, inversion and SDEdit can be checked against known answers."""

import keras

from zoo.models.diffusion import DDIMSampler

MU, SIGMA = 0.3, 1.0  # the Gaussian "data" of the exact denoiser, per pixel, in the sampler's normalised units


@keras.saving.register_keras_serializable(package="facezoo_tests")
class GaussianDenoiser(keras.Model):
    """The exact noise prediction for data x ~ N(MU, SIGMA^2) per pixel: E[eps | z] = s (z - a MU) / (a^2 SIGMA^2 +
    s^2) for z = a x + s eps, with s^2 the noise variance input and a^2 = 1 - s^2."""

    def __init__(self, image_size=8, channels=1, prediction="noise", **kwargs):
        super().__init__(**kwargs)
        self.image_size, self.channels, self.prediction = image_size, channels, prediction

    def input_shapes(self):
        return [(None, self.image_size, self.image_size, self.channels), (None, 1, 1, 1)]

    def build(self, input_shape):
        self.built = True

    def call(self, inputs, training=False):
        z, variance = inputs
        s, a = keras.ops.sqrt(variance), keras.ops.sqrt(1.0 - variance)
        eps = s * (z - a * MU) / (a * a * SIGMA ** 2 + variance)
        if self.prediction == "noise":
            return eps
        x = (z - s * eps) / a
        return a * eps - s * x  # the velocity of the same estimate

    def get_config(self):
        return {"image_size": self.image_size, "channels": self.channels, "prediction": self.prediction,
                "name": self.name}


def exact_sampler(steps=200, prediction="noise", max_signal_rate=0.9999):
    sampler = DDIMSampler(GaussianDenoiser(8, 1, prediction), 8, 1, steps=steps, max_signal_rate=max_signal_rate,
                          prediction=prediction)
    sampler.build((None, sampler.latent_dim))
    return sampler
