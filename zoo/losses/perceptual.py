"""Feature-consistent (perceptual) loss of Hou et al.'s DFC-VAE, on a frozen VGG19 loaded from a local file.

ImageNet weights are a download, which this project cannot do: the loss needs a local weights file (the Keras
``vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5``, or any ``.weights.h5`` of ``keras.applications.VGG19(
include_top=False)``) and fails with a clear message without one.
"""

from __future__ import annotations

import os

from keras import ops

from zoo.losses.vae import summed_squared_error

DFC_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1")  # relu1_1, relu2_1, relu3_1: Hou et al.'s VAE-123


def feature_perceptual_loss(features, reconstruction_features):
    """Hou et al.'s feature perceptual loss per example [B]: the sum over layers l of
    ``||phi_l(x) - phi_l(x_hat)||^2 / (2 C_l H_l W_l)``. ``features`` / ``reconstruction_features``: lists of
    activations [B, H_l, W_l, C_l] (or any [B, ...]) of the images and of their reconstructions."""
    total = 0.0
    for a, b in zip(features, reconstruction_features):
        size = 1
        for d in a.shape[1:]:
            size *= int(d)
        total = total + summed_squared_error(a, b) / (2.0 * size)
    return total


class VGG19FeatureLoss:
    """``loss(images, reconstructions)`` -> per example [B]: ``feature_perceptual_loss`` of the VGG19
    activations at ``layers`` (images in [-1, 1], RGB, at least 32x32 for three layers)."""

    def __init__(self, weights_path: str | None, layers=DFC_LAYERS):
        if not weights_path:
            raise FileNotFoundError(
                "the VGG19 feature-consistent loss needs ImageNet VGG19 weights, which are not downloaded here: "
                "pass a local file (e.g. vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5) as the weights path")
        if not os.path.isfile(weights_path):
            raise FileNotFoundError(f"VGG19 weights file {weights_path!r} does not exist; expected a Keras .h5 "
                                    f"weights file of VGG19(include_top=False)")
        import keras

        vgg = keras.applications.VGG19(include_top=False, weights=None)
        try:
            vgg.load_weights(weights_path)
        except Exception as e:  # a wrong file: say which and what was expected
            raise ValueError(f"{weights_path!r} is not a VGG19(include_top=False) weights file: {e}") from e
        self.layers = tuple(layers)
        self.model = keras.Model(vgg.input, [vgg.get_layer(n).output for n in self.layers])
        self.model.trainable = False

    def features(self, images):
        # [-1, 1] RGB -> Caffe-style BGR minus the ImageNet mean, as the Keras VGG19 weights expect.
        x = (ops.cast(images, "float32") + 1.0) * 127.5
        x = x[..., ::-1] - ops.convert_to_tensor([103.939, 116.779, 123.68])
        return self.model(x, training=False)

    def __call__(self, images, reconstructions):
        return feature_perceptual_loss(self.features(images), self.features(reconstructions))
