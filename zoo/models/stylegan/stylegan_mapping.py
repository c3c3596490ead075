"""StyleGAN mapping network: z -> w through 8 equalized dense layers (Karras et al. 2019)."""

from __future__ import annotations

import keras
from keras import layers, ops

from zoo.layers import EqualizedDense, PixelNorm


@keras.saving.register_keras_serializable(package="facezoo")
class StyleGANMapping(keras.Model):
    """z [B, latent_dim] -> w [B, w_dim]: pixel norm of z, then ``num_layers`` equalized dense layers with leaky
    ReLU 0.2, at ``lr_multiplier`` (0.01 in the paper) times the learning rate of the rest."""

    def __init__(self, latent_dim: int = 512, w_dim: int = 512, num_layers: int = 8, lr_multiplier: float = 0.01,
                 **kwargs):
        super().__init__(**kwargs)
        if num_layers < 1:
            raise ValueError(f"the mapping network needs at least one layer, got num_layers={num_layers}")
        self.latent_dim, self.w_dim, self.num_layers = int(latent_dim), int(w_dim), int(num_layers)
        self.lr_multiplier = float(lr_multiplier)
        self.norm = PixelNorm(name="z_norm")
        self.dense = [EqualizedDense(w_dim, lr_multiplier=lr_multiplier, name=f"dense{i}") for i in range(num_layers)]
        self.act = layers.LeakyReLU(0.2)

    def build(self, input_shape):
        self.call(ops.zeros((1, int(input_shape[-1]))))
        self.built = True

    def call(self, z):
        x = self.norm(z)
        for layer in self.dense:
            x = self.act(layer(x))
        return x

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.w_dim)

    def get_config(self):
        return {"latent_dim": self.latent_dim, "w_dim": self.w_dim, "num_layers": self.num_layers,
                "lr_multiplier": self.lr_multiplier, "name": self.name}
