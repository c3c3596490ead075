"""Shared behaviour of the zoo's subclassed models."""

from __future__ import annotations

import keras


class BuildByCall:
    """``build(input_shape)`` runs ``call`` once on zeros, so that every sub-layer creates its weights.

    Keras builds a subclassed model from its saved ``build_config`` before loading weights; without a real
    ``build`` the sub-layers would stay unbuilt and the weights would have nowhere to go.
    """

    def build(self, input_shape):
        shape = tuple(input_shape)
        self.call(keras.ops.zeros((1,) + tuple(shape[1:])))
