"""StyleGAN generator (Karras et al. 2019): mapping network, synthesis network, style mixing, truncation."""

from __future__ import annotations

import keras
from keras import ops

from zoo.models.progan.levels import check_level
from zoo.models.stylegan.stylegan_mapping import StyleGANMapping
from zoo.models.stylegan.stylegan_synthesis import StyleGANSynthesis
from zoo.utils.random import ReplicaSeedGenerator, derive_seed


@keras.saving.register_keras_serializable(package="facezoo")
class StyleGANGenerator(keras.Model):
    """z [B, latent_dim] -> images [B, R, R, channels] (float32), R = 4 * 2^level.

    ``call(z, level=None, alpha=None, truncation_psi=1.0, truncation_cutoff=8, randomize_noise=None,
    training=False)``: ``randomize_noise`` None draws fresh per-layer noise in training only and uses the stored
    noise images otherwise (True / False force either); ``level``/``alpha`` default to ``output_level`` (None: the last) / ``output_alpha``, the network
    a run reached (``zoo.runs.run_model``), also for ``synthesize``; ``image_size`` is that output's resolution. ``blur_filter``: the synthesis' low-pass after each upsampling conv ([1, 2, 1]; () none). In training the
    running mean of w (``w_avg``, decay ``w_avg_beta``) is updated and, with probability ``style_mixing_prob``,
    each example switches from w(z1) to w(z2) at a random layer among those in use (style mixing
    regularisation). ``truncation_psi`` < 1 pulls w towards ``w_avg`` on the first ``truncation_cutoff`` layers
    (the truncation trick; 8 as in the reference, None for all layers).
    For control over the styles use ``mapping``, ``broadcast``, ``mix_styles``, ``ws_per_level``, ``truncate``
    and ``synthesize`` directly.
    """

    # Inference with the stored noise images: the exported/packaged output is deterministic (export, make_preset).
    export_call_kwargs = {"randomize_noise": False}

    def __init__(self, latent_dim: int = 512, w_dim: int = 512, resolution: int = 1024, channels: int = 3,
                 mapping_layers: int = 8, mapping_lr_multiplier: float = 0.01, fmap_base: int = 8192,
                 fmap_max: int = 512, style_mixing_prob: float = 0.9, w_avg_beta: float = 0.995,
                 seed: int | None = None, blur_filter=(1, 2, 1), output_level: int | None = None,
                 output_alpha: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= style_mixing_prob <= 1.0:
            raise ValueError(f"style_mixing_prob must be in [0, 1], got {style_mixing_prob}")
        self.latent_dim, self.w_dim, self.resolution, self.channels = int(latent_dim), int(w_dim), int(resolution), \
            int(channels)
        self.mapping_layers, self.mapping_lr_multiplier = int(mapping_layers), float(mapping_lr_multiplier)
        self.fmap_base, self.fmap_max = int(fmap_base), int(fmap_max)
        self.style_mixing_prob, self.w_avg_beta, self.seed = float(style_mixing_prob), float(w_avg_beta), seed
        self.mapping = StyleGANMapping(latent_dim, w_dim, mapping_layers, mapping_lr_multiplier, name="mapping")
        self.blur_filter = tuple(int(t) for t in (blur_filter or ()))
        self.synthesis = StyleGANSynthesis(w_dim, resolution, channels, fmap_base, fmap_max, seed=seed,
                                           blur_filter=self.blur_filter, name="synthesis")
        self.num_levels, self.num_ws = self.synthesis.num_levels, self.synthesis.num_ws
        self.output_level = check_level(output_level, self.num_levels, "StyleGANGenerator output_level")
        self.output_alpha = float(output_alpha)
        # Mean aggregation: under tf.distribute each replica assigns its own batch's update; the mean is kept.
        self.w_avg = self.add_weight(shape=(w_dim,), name="w_avg", initializer="zeros", trainable=False,
                                     aggregation="mean")
        # A stream of its own: seeded like the trainer's latents it would draw z2 == z.
        self.mixing_seed = ReplicaSeedGenerator(None if seed is None else derive_seed(seed, "style_mixing"))

    def build(self, input_shape):
        self.mapping.build((None, self.latent_dim))
        self.synthesis.build((None, self.num_ws, self.w_dim))
        self.built = True

    # -- style manipulation -------------------------------------------------------------------------------
    def broadcast(self, w):
        """w [B, w_dim] -> ws [B, num_ws, w_dim] (the same w for every layer)."""
        return ops.repeat(ops.expand_dims(w, 1), self.num_ws, axis=1)

    def ws_per_level(self, ws_by_level):
        """A list of ``num_levels`` w [B, w_dim], one per level -> ws [B, num_ws, w_dim] (style blending)."""
        if len(ws_by_level) != self.num_levels:
            raise ValueError(f"ws_per_level needs one w per level ({self.num_levels}), got {len(ws_by_level)}")
        return ops.stack([w for w in ws_by_level for _ in range(2)], axis=1)

    def mix_styles(self, ws1, ws2, crossover):
        """Layers before ``crossover`` (scalar or [B]) take ws1, layers from it on ws2."""
        layer = ops.reshape(ops.arange(self.num_ws, dtype="int32"), (1, self.num_ws, 1))
        cross = ops.reshape(ops.cast(crossover, "int32"), (-1, 1, 1))
        return ops.where(layer < cross, ws1, ws2)

    def truncate(self, ws, psi, cutoff=None):
        """w_avg + psi * (w - w_avg) on the first ``cutoff`` layers (None: all), the others left as they are:
        psi = 1 leaves w as it is, psi = 0 gives the mean w."""
        avg = ops.cast(self.w_avg, ws.dtype)
        coef = ops.cast(psi, ws.dtype)
        if cutoff is not None and cutoff < self.num_ws:
            layer = ops.reshape(ops.arange(self.num_ws), (1, self.num_ws, 1))
            coef = ops.where(layer < int(cutoff), coef, ops.ones_like(coef))
        return avg + coef * (ws - avg)

    def synthesize(self, ws, level=None, alpha=None, randomize_noise=False):
        """ws [B, num_ws, w_dim] -> images at ``level`` / ``alpha`` (default ``output_level`` / ``output_alpha``),
        with the stored per-layer noise unless ``randomize_noise``."""
        level = self.output_level if level is None else level
        alpha = self.output_alpha if alpha is None else alpha
        return self.synthesis(ws, level=level, alpha=alpha, randomize_noise=randomize_noise)

    # -- the forward pass ---------------------------------------------------------------------------------
    def _update_w_avg(self, w):
        batch_mean = ops.mean(ops.cast(w, "float32"), axis=0)
        self.w_avg.assign(batch_mean + (self.w_avg - batch_mean) * self.w_avg_beta)

    def _mixing(self, ws, level):
        batch = ops.shape(ws)[0]
        z2 = keras.random.normal((batch, self.latent_dim), seed=self.mixing_seed)
        ws2 = self.broadcast(self.mapping(z2))
        in_use = 2 * (level + 1)
        if in_use < 2:
            return ws
        crossover = keras.random.randint((batch,), 1, in_use, seed=self.mixing_seed)
        mixed = keras.random.uniform((batch,), seed=self.mixing_seed) < self.style_mixing_prob
        crossover = ops.where(mixed, crossover, self.num_ws)
        return self.mix_styles(ws, ws2, crossover)

    def call(self, z, level=None, alpha=None, truncation_psi=1.0, truncation_cutoff=8, randomize_noise=None,
             training=False):
        # Fresh noise in training; the stored noise buffers otherwise (NVlabs' generation scripts' default), so
        # the same z gives the same image and an edit changes only what the latent changes.
        randomize_noise = bool(training) if randomize_noise is None else randomize_noise
        level = self.output_level if level is None else level
        w = self.mapping(z)
        if training:
            self._update_w_avg(w)
        ws = self.broadcast(w)
        if training and self.style_mixing_prob > 0:
            ws = self._mixing(ws, level)
        if not (isinstance(truncation_psi, (int, float)) and truncation_psi == 1):
            ws = self.truncate(ws, truncation_psi, truncation_cutoff)
        return self.synthesize(ws, level, alpha, randomize_noise)

    def output_resolution(self, level=None) -> int:
        return self.synthesis.output_resolution(self.output_level if level is None else level)

    @property
    def image_size(self) -> int:
        """The resolution of ``call(z)``'s output (``output_level``'s)."""
        return self.output_resolution()

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.image_size, self.image_size, self.channels)

    def get_config(self):
        return {"latent_dim": self.latent_dim, "w_dim": self.w_dim, "resolution": self.resolution,
                "channels": self.channels, "mapping_layers": self.mapping_layers,
                "mapping_lr_multiplier": self.mapping_lr_multiplier, "fmap_base": self.fmap_base,
                "fmap_max": self.fmap_max, "style_mixing_prob": self.style_mixing_prob,
                "w_avg_beta": self.w_avg_beta, "seed": self.seed, "blur_filter": list(self.blur_filter),
                "output_level": self.output_level, "output_alpha": self.output_alpha, "name": self.name}
