"""Starting a GAN's projection near the photo, and editing the photo with a generator tuned to it (issue 26, item 6).

An inversion encoder E is trained on the generator's own samples (z ~ N(0, I), x = G(z)) to give back z: loss
||E(x) - z||^2 plus a pixel term ||G(E(x)) - x||^2, as the encoder-based initialisation of the GAN-inversion
literature (Zhu et al. 2016, "Generative Visual Manipulation on the Natural Image Manifold"; Xia et al. 2022's
survey). It is the zoo's ``DFCVAEEncoder`` (its posterior-mean head is E, the log-variance head is not trained), saved
as an encoder preset of that generator, so ``--encoder DIR`` loads and pair-checks it as the VAEs' encoders.

Pivotal tuning (Roich et al. 2021, "Pivotal Tuning for Latent-based Editing of Real Images"; danielroich/PTI):
with the projected latent fixed as the pivot, a COPY of the generator is fine-tuned (Adam, lr 3e-4, L2 + a
perceptual distance) until it draws the photo there; edits of that photo then decode with the copy.
"""

from __future__ import annotations

import os
import time

import numpy as np

from zoo.latent.models import Generator, LatentError, fingerprint


def inversion_losses(encoder, generator: Generator, z, pixel_weight: float = 1.0, training: bool = False):
    """``(total, latent, pixel)`` scalar tensors for latents ``z`` [B, D]: x = G(z), latent = mean ||E(x) - z||^2
    over elements, pixel = mean ||G(E(x)) - x||^2 over pixels in [-1, 1]."""
    import tensorflow as tf

    x = generator.decode_tensor(z)
    z_hat = encoder(x, training=training)[0]
    latent = tf.reduce_mean(tf.square(z_hat - z))
    pixel = tf.reduce_mean(tf.square(generator.decode_tensor(z_hat) - x))
    return latent + pixel_weight * pixel, latent, pixel


def train_inverter(generator: Generator, steps: int, batch_size: int = 64, lr: float = 1e-3, pixel_weight: float = 1.0,
                   base_filters: int = 32, seed: int = 0, progress: bool = True):
    """``(encoder, history)``: a ``DFCVAEEncoder`` trained ``steps`` Adam steps on fresh generator samples (seeded);
    ``history`` {"total", "latent", "pixel"} lists, one value per step. Only z-space generators (not w)."""
    import keras
    import tensorflow as tf
    from tqdm.auto import tqdm

    from zoo.models.vae import DFCVAEEncoder

    if generator.space != "z" or generator.is_onnx:
        raise LatentError("an inversion encoder is trained for a Keras generator's z space")
    m = generator.model
    keras.utils.set_random_seed(seed)
    encoder = DFCVAEEncoder(m.image_size, m.channels, generator.latent_dim, base_filters, name="encoder")
    encoder.build((None, m.image_size, m.image_size, m.channels))
    opt = keras.optimizers.Adam(lr)
    opt.build(encoder.trainable_variables)

    @tf.function
    def step(z):
        with tf.GradientTape() as tape:
            total, latent, pixel = inversion_losses(encoder, generator, z, pixel_weight, training=True)
        opt.apply_gradients(zip(tape.gradient(total, encoder.trainable_variables), encoder.trainable_variables))
        return total, latent, pixel

    rng = np.random.default_rng(seed)
    history = {"total": [], "latent": [], "pixel": []}
    bar = tqdm(range(steps), desc="training the inverter", disable=not progress)
    for i in bar:
        z = rng.standard_normal((batch_size, generator.latent_dim)).astype(np.float32)
        for k, v in zip(history, step(tf.constant(z))):
            history[k].append(float(v))
        if i % 20 == 0:
            bar.set_postfix(latent=f"{history['latent'][-1]:.3f}", pixel=f"{history['pixel'][-1]:.4f}")
    return encoder, history


def inversion_quality(encoder, generator: Generator, count: int = 256, seed: int = 1) -> dict:
    """On ``count`` held-out samples (another seed than training's): the latent and pixel MSE of the encoder's z
    against the true z, and of the mean latent (0) as the baseline it must beat."""
    import tensorflow as tf

    from zoo.latent.models import encode

    z = generator.sample_latents(count, seed)
    x = generator(z)
    z_hat = encode(encoder, x)
    mean = np.zeros_like(z)
    out = {"samples": count, "seed": seed}
    for name, guess in (("encoder", z_hat), ("mean_latent", mean)):
        rec = generator(guess)
        mse = float(np.mean((rec - x) ** 2))
        out[name] = {"latent_mse": float(np.mean((guess - z) ** 2)), "pixel_mse": mse,
                     "psnr_db": float(np.mean(tf.image.psnr(rec, x, max_val=2.0)))}
    return out


def copy_generator(generator: Generator) -> Generator:
    """A Generator of the same space over an independent copy of the Keras model (config and all weights)."""
    import keras

    m = generator.model
    if generator.is_onnx:
        raise LatentError("pivotal tuning needs the Keras generator; an ONNX generator cannot be fine-tuned")
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(m), safe_mode=True)
    if not clone.built:
        clone(np.zeros((1, generator.z_dim), np.float32), training=False)
    clone.set_weights(m.get_weights())
    return Generator(clone, generator.space, generator.batch_size)


def pivotal_tune(generator: Generator, pivot, target, steps: int = 100, perceptual=None,
                 perceptual_weight: float = 1.0, lr: float = 3e-4, progress: bool = True) -> tuple[Generator, dict]:
    """``(tuned, report)``: a copy of ``generator`` fine-tuned ``steps`` Adam steps (lr 3e-4, PTI's) so that the
    fixed ``pivot`` latent [1, ...] draws ``target`` [1, H, W, C] in [-1, 1]: loss pixel MSE + ``perceptual_weight``
    x ``perceptual`` (PTI: L2 + LPIPS). ``generator`` itself is not changed. ``report`` has the loss per step."""
    import tensorflow as tf
    from tqdm.auto import tqdm

    from zoo.latent.project import match_target, reconstruction_loss

    tuned = copy_generator(generator)
    target_t = tf.constant(match_target(generator, target))
    pivot_t = tf.constant(np.asarray(pivot, np.float32).reshape(1, *generator.latent_shape))
    variables = tuned.model.trainable_variables
    opt = tf.keras.optimizers.Adam(learning_rate=lr)
    opt.build(variables)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss, pixel, _ = reconstruction_loss(tuned.decode_tensor(pivot_t), target_t, perceptual, perceptual_weight)
        opt.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss, pixel

    losses, pixels = [], []
    for _ in tqdm(range(steps), desc="pivotal tuning", disable=not progress, leave=False):
        loss, pixel = step()
        losses.append(float(loss))
        pixels.append(float(pixel))
    return tuned, {"steps": steps, "lr": lr, "loss_first": losses[0] if losses else None,
                   "loss_last": losses[-1] if losses else None, "pixel_mse_first": pixels[0] if pixels else None,
                   "pixel_mse_last": pixels[-1] if pixels else None}


def cmd_train_inverter(args) -> dict:
    """``zoo.latent train-inverter``: train an inversion encoder for ``--model`` and save it as an encoder preset
    in ``--out`` (config.json, weights.npz, metadata.json with the command and its quality on held-out samples)."""
    from zoo.registry import load_preset_metadata, save_to_preset

    gen = Generator(args.model, "z")
    start = time.time()
    encoder, history = train_inverter(gen, args.steps, args.batch_size, args.lr, args.pixel_weight,
                                      args.base_filters, args.seed)
    seconds = time.time() - start
    quality = inversion_quality(encoder, gen)
    try:
        decoder_meta = load_preset_metadata(args.model)
    except (ValueError, OSError):  # a run folder: no preset metadata to pair with
        decoder_meta = {}
    config = {k: getattr(args, k) for k in ("model", "steps", "batch_size", "lr", "pixel_weight", "base_filters",
                                            "seed")}
    command = ["python -m zoo.latent train-inverter", *(f"--{k.replace('_', '-')} {v}" for k, v in config.items()),
               f"--out {args.out}"]
    meta = {"dataset": "samples of " + os.path.basename(os.path.normpath(args.model)),
            "resolution": int(gen.model.image_size),
            "training_command": " ".join(command),
            "recipe": "zoo.latent.inversion.train_inverter", "steps_trained": args.steps,
            "images_seen": args.steps * args.batch_size, "train_seconds": round(seconds, 1),
            "licence": decoder_meta.get("licence"),
            "config": config, "decoder": os.path.basename(os.path.normpath(args.model)),
            "decoder_weights_sha256": decoder_meta.get("weights_sha256"), "decoder_fingerprint": fingerprint(gen.model),
            "metrics": {"held_out_samples": quality,
                        "last_100_steps": {k: float(np.mean(v[-100:])) for k, v in history.items()}},
            "note": "Inversion encoder (E(G(z)) ~ z) trained on the generator's own samples; the log_var head is "
                    "untrained and unused (zoo.latent.models.encode takes the mean head). It starts "
                    "`zoo.latent project --encoder` near the photo."}
    save_to_preset(encoder, args.out, meta)
    return {"out": args.out, "train_seconds": round(seconds, 1), **meta["metrics"]}
