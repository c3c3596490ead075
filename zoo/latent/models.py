"""Adapters: any zoo generator, decoder, encoder or classifier (Keras, or ONNX through export.runtime) seen as
numpy functions of batches, so that the latent tools do not care which family they edit.

Images are float32 [B, H, W, C] in [-1, 1] everywhere in zoo.latent; latents are float32 [B, D].
"""

from __future__ import annotations

import numpy as np


class LatentError(ValueError):
    """A model, preset or file given to zoo.latent does not fit what the tool needs (a clear message, exit 2)."""


def load(model_or_preset):
    """A model object as it is; for a string: a preset name or folder (``zoo.from_preset``), or a training run
    folder ``RUN`` / ``RUN:part`` (its model by ``zoo.runs.run_model``: the generator or decoder, or the part)."""
    if not isinstance(model_or_preset, str):
        return model_or_preset
    import os

    run, _, part = model_or_preset.partition(":")
    if os.path.isfile(os.path.join(run, "config.json")) and os.path.isdir(os.path.join(run, "checkpoints")):
        from zoo import runs
        from zoo.training.checkpoint import CheckpointError

        try:
            return runs.run_model(run, part or None)
        except (ValueError, FileNotFoundError, CheckpointError) as e:
            raise LatentError(f"cannot load the model of run {run}: {e}") from e
    from zoo.registry import from_preset

    return from_preset(model_or_preset)


def fingerprint(model) -> str | None:
    """sha256 of a Keras model's variables (shapes and float32 values, in the model's weight order): what a
    direction set or an encoder records of the model it belongs to. None for an ONNX model (nothing to compare)."""
    import hashlib

    model = load(model)
    if hasattr(model, "session"):
        return None
    h = hashlib.sha256()
    for v in model.weights:
        a = np.asarray(v, np.float32)
        h.update(repr(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def check_pair(encoder, decoder) -> None:
    """Refuse (LatentError) an encoder preset used with a decoder other than its own. An encoder preset's
    metadata names its decoder's weights (``decoder_weights_sha256``, the sha256 of that preset's weights.npz);
    checked when both are given as presets. Runs and model objects are not checked (a run's parts pair by
    construction)."""
    if not (isinstance(encoder, str) and isinstance(decoder, str)):
        return
    from zoo.registry import PresetError, load_preset_metadata

    try:
        enc, dec = load_preset_metadata(encoder), load_preset_metadata(decoder)
    except (PresetError, FileNotFoundError, ValueError):
        return  # a run folder or an ONNX file, not two presets
    want = enc.get("decoder_weights_sha256")
    if want and dec.get("weights_sha256") and want != dec["weights_sha256"]:
        raise LatentError(f"encoder {encoder} belongs to the decoder {enc.get('decoder', 'recorded in its metadata')}"
                          f", not to {decoder}: its latents would decode to unrelated faces; use the pair's own "
                          "decoder")


def _batched(fn, x, batch_size):
    return np.concatenate([np.asarray(fn(x[i:i + batch_size])) for i in range(0, len(x), batch_size)]) \
        if len(x) else np.zeros((0,), np.float32)


class Generator:
    """latents [B, D] -> images [B, H, W, C] in [-1, 1], for a generator/decoder or StyleGAN.

    ``space``: ``"z"`` (the model's input, N(0, I)) for every generator; for a ``StyleGANGenerator`` also
    ``"w"`` (the mapping's output, one w for all layers) and ``"w+"`` (latents [B, num_ws, w_dim], one w per
    layer). StyleGAN's per-layer noise is fixed (``randomize_noise=False``) so that an edit changes only what
    the latent changes. ``model`` may be an ``export.runtime.OnnxGenerator`` (space ``"z"`` only).
    """

    def __init__(self, model, space: str = "z", batch_size: int = 32):
        self.model, self.space, self.batch_size = load(model), space, int(batch_size)
        self.is_stylegan = hasattr(self.model, "synthesis") and hasattr(self.model, "mapping")
        self.is_onnx = hasattr(self.model, "session")
        if space not in ("z", "w", "w+"):
            raise LatentError(f"latent space must be z, w or w+, got {space!r}")
        if space != "z" and not self.is_stylegan:
            raise LatentError(f"latent space {space!r} needs a StyleGAN generator; {type(self.model).__name__} "
                              f"has only z")
        if not hasattr(self.model, "latent_dim"):  # a classifier or an encoder where a generator is expected
            raise LatentError(f"{model if isinstance(model, str) else type(self.model).__name__} is a "
                              f"{type(self.model).__name__}, not a generator or decoder (it has no latent input)")
        self.z_dim = int(self.model.latent_dim)
        self.latent_dim = int(self.model.w_dim) if space != "z" else self.z_dim

    @property
    def latent_shape(self) -> tuple:
        return (self.model.num_ws, self.latent_dim) if self.space == "w+" else (self.latent_dim,)

    def sample_latents(self, n: int, seed: int = 0) -> np.ndarray:
        """n latents of this space: z ~ N(0, I) (seeded), mapped to w (and broadcast for w+) for StyleGAN."""
        z = np.random.default_rng(seed).standard_normal((int(n), self.z_dim)).astype(np.float32)
        if self.space == "z":
            return z
        w = _batched(lambda b: self.model.mapping(b), z, 256).astype(np.float32)
        return np.repeat(w[:, None], self.model.num_ws, axis=1) if self.space == "w+" else w

    def decode_tensor(self, latents):
        """Differentiable images (a tensor) for latents of this space (Keras models only)."""
        if self.is_onnx:
            raise LatentError("an ONNX generator cannot be differentiated; project with the Keras preset")
        if self.space == "z":
            return self.model(latents, training=False)
        from keras import ops

        ws = self.model.broadcast(latents) if self.space == "w" else latents
        return self.model.synthesize(ops.cast(ws, "float32"), randomize_noise=False)

    def __call__(self, latents) -> np.ndarray:
        latents = np.asarray(latents, np.float32)
        if latents.shape[1:] != self.latent_shape:
            raise LatentError(f"latents of shape {latents.shape[1:]} for a {self.space} space of shape "
                              f"{self.latent_shape}")
        if self.is_onnx:
            return self.model.generate(latents, self.batch_size)
        return _batched(lambda b: self.decode_tensor(b), latents, self.batch_size).astype(np.float32)

    def first_activations(self, latents) -> np.ndarray:
        """The output of the first (linear) layer ``project`` [B, F] for GANSpace-style PCA of a z-only GAN."""
        if not self.has_first_layer:
            raise LatentError(f"{type(self.model).__name__} has no first 'project' layer to take activations of")
        layer, norm = self.model.project, getattr(self.model, "latent_norm", None)  # ProGAN normalises z first
        first = (lambda b: layer(norm(b))) if norm is not None else layer
        return _batched(first, np.asarray(latents, np.float32), 256).astype(np.float32)

    @property
    def has_first_layer(self) -> bool:
        """A z-only GAN with a first linear layer: GANSpace's PCA of its activations applies."""
        return self.space == "z" and getattr(self.model, "project", None) is not None


def is_diffusion(model) -> bool:
    """A diffusion sampler (``DDIMSampler``): z is its starting noise image, and it encodes images itself by DDIM
    inversion (``invert``) and restores them by SDEdit (``restore``)."""
    return hasattr(model, "invert") and hasattr(model, "restore") and hasattr(model, "denoiser")


def refuse_diffusion(model, tool: str) -> None:
    """LatentError for ``tool`` (PCA or attribute directions) on a diffusion model, which has no such space."""
    model = load(model)
    if is_diffusion(model):
        raise LatentError(f"{tool} does not apply to a diffusion model: its z is the {model.latent_dim}-number noise "
                          "image it starts from, i.i.d. N(0, I) with no learned directions, so a PCA or an attribute "
                          "direction there says nothing about faces (interpolate, matrix, restore and photo encoding "
                          "by DDIM inversion do apply)")


def encode(encoder, images, batch_size: int = 64) -> np.ndarray:
    """Posterior means [N, D] of images [N, H, W, C] in [-1, 1] through a VAE encoder (Keras or ONNX); for a
    diffusion model (its own encoder), the noises z [N, S*S*C] that its deterministic sampling maps back to the
    images (DDIM inversion, with the sampler's steps)."""
    encoder = load(encoder)
    images = np.asarray(images, np.float32)
    shape = _input_shape(encoder)
    if shape is not None and tuple(images.shape[1:]) != tuple(shape):
        images = resize_images(images, shape[0], shape[2])

    def one(b):
        if is_diffusion(encoder):
            return encoder.invert(b)
        if hasattr(encoder, "session"):
            return encoder.run(b)[encoder.output_names[0]]
        out = encoder(b, training=False)
        return out[0] if isinstance(out, (tuple, list)) else out

    return _batched(one, images, batch_size).astype(np.float32)


def _input_shape(model):
    if hasattr(model, "input_shape_for"):
        return tuple(model.input_shape_for()[1:])
    if hasattr(model, "image_size") and hasattr(model, "channels"):
        return (model.image_size, model.image_size, model.channels)
    return None


def resize_images(images, size: int, channels: int) -> np.ndarray:
    """images [B, H, W, C] in [-1, 1] -> [B, size, size, channels] (antialiased resize; RGB <-> greyscale)."""
    import tensorflow as tf

    x = tf.convert_to_tensor(np.asarray(images, np.float32))
    if x.shape[1] != size or x.shape[2] != size:
        x = tf.image.resize(x, (size, size), method="bilinear", antialias=True)
    if x.shape[-1] == 3 and channels == 1:
        x = tf.image.rgb_to_grayscale(x)  # linear, so [-1, 1] maps to [-1, 1]
    elif x.shape[-1] == 1 and channels == 3:
        x = tf.image.grayscale_to_rgb(x)
    return np.asarray(x, np.float32)


class AttributeClassifier:
    """A zoo face classifier (preset name or model) as scores of generated or real images of any size.

    ``scores(images, task)``: ``gender`` -> P(female) [B]; ``age`` -> years [B]; ``ethnicity`` -> probabilities
    [B, 5]. Images are resized and converted to the classifier's input (e.g. 48x48 greyscale).
    """

    def __init__(self, model, batch_size: int = 64):
        self.model, self.batch_size = load(model), int(batch_size)
        self.size, _, self.channels = _input_shape(self.model)
        self.tasks = tuple(getattr(self.model, "tasks", ()))

    def scores(self, images, task: str) -> np.ndarray:
        if self.tasks and task not in self.tasks:
            raise LatentError(f"the classifier predicts {list(self.tasks)}, not {task!r}")
        x = resize_images(images, self.size, self.channels)

        def one(b):
            y = np.asarray(self.model(b, training=False)[task])
            return y[:, 1] if task == "gender" else y

        return _batched(one, x, self.batch_size).astype(np.float32)
