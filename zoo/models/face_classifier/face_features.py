"""The UTKFace study's feature-extraction template: [conv, ReLU, pool, batch norm] blocks, then flatten."""

from __future__ import annotations

import keras
from keras import layers


@keras.saving.register_keras_serializable(package="facezoo")
class FaceFeatures(layers.Layer):
    """images [B, S, S, C] in [-1, 1] -> features [B, (S / 2^n)^2 * filters[-1]] (flattened).

    One block per entry of ``filters``: a 3x3 convolution, ReLU, 2x2 max pooling and batch normalisation after
    the pooling, as in the study (three blocks by default). ``bn_momentum`` is the batch-norm moving-average
    momentum: with Keras' 0.99 the inference statistics need a few hundred steps to forget their initial
    variance of 1; use 0.9 for runs of one or two epochs.
    """

    def __init__(self, filters=(32, 64, 128), bn_momentum: float = 0.99, **kwargs):
        super().__init__(**kwargs)
        self.filters = tuple(int(f) for f in filters)
        if not 0.0 <= bn_momentum < 1.0:
            raise ValueError(f"bn_momentum must be in [0, 1), got {bn_momentum}")
        self.bn_momentum = float(bn_momentum)
        if not self.filters or min(self.filters) < 1:
            raise ValueError(f"filters must be a non-empty list of positive ints, got {filters}")
        self.blocks = [
            (layers.Conv2D(f, 3, padding="same", activation="relu", name=f"conv{i}"),
             layers.MaxPooling2D(2, name=f"pool{i}"),
             layers.BatchNormalization(momentum=self.bn_momentum, name=f"bn{i}"))
            for i, f in enumerate(self.filters)
        ]
        self.flatten = layers.Flatten(name="flatten")

    def build(self, input_shape):
        shape = tuple(input_shape)
        for conv, pool, norm in self.blocks:
            conv.build(shape)
            shape = conv.compute_output_shape(shape)
            shape = pool.compute_output_shape(shape)
            norm.build(shape)
        self.built = True

    def call(self, images, training=False):
        x = images
        for conv, pool, norm in self.blocks:
            x = norm(pool(conv(x)), training=training)
        return self.flatten(x)

    def maps(self, images) -> list[tuple[str, object]]:
        """The activations after each layer of each block, in order: [(name, [B, H, W, filters])], inference mode.
        The last one, flattened, is ``call``'s output (the classifier chapter's feature-map figure)."""
        out, x = [], images
        for conv, pool, norm in self.blocks:
            x = conv(x)
            out.append((f"{conv.name} + ReLU", x))
            x = pool(x)
            out.append((pool.name, x))
            x = norm(x, training=False)
            out.append((norm.name, x))
        return out

    def compute_output_shape(self, input_shape):
        size = input_shape[1] // 2 ** len(self.filters)
        return (input_shape[0], size * size * self.filters[-1])

    def get_config(self):
        return {"filters": list(self.filters), "bn_momentum": self.bn_momentum, "name": self.name}
