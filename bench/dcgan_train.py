"""DCGAN training throughput: facezoo's GANTrainer (fit, XLA) against a plain tf.function step, same run.

    python -m bench.dcgan_train [--image-size 64] [--batch-size 128] [--steps 20]

Prints img/s of both, their ratio, and the GFLOP/s achieved against the machine's measured matmul rate.
FLOPs per step are counted from the layer shapes: forward of G on B, of D on 2B (real + fake) for the
discriminator update and on B for the generator update, backward counted as twice the forward.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def forward_flops(model, input_shape) -> float:
    """Multiply-adds x 2 of the Dense/Conv/ConvTranspose layers of ``model`` for one example."""
    import keras

    flops = 0.0
    x = keras.KerasTensor((1, *input_shape[1:]))
    for layer in model._flatten_layers(include_self=False):
        if isinstance(layer, keras.layers.Dense):
            flops += 2 * layer.kernel.shape[0] * layer.kernel.shape[1]
        elif isinstance(layer, (keras.layers.Conv2D, keras.layers.Conv2DTranspose)):
            k = layer.kernel.shape
            # output spatial size is recorded by the layer after a call
            out = layer._fz_out_hw
            if isinstance(layer, keras.layers.Conv2DTranspose):
                h_in = out[0] // layer.strides[0]
                w_in = out[1] // layer.strides[1]
                flops += 2 * h_in * w_in * k[0] * k[1] * k[2] * k[3]
            else:
                flops += 2 * out[0] * out[1] * k[0] * k[1] * k[2] * k[3]
    del x
    return flops


def record_shapes(model, x):
    """Run ``model`` once, recording each conv layer's output height/width (for FLOP counting)."""
    import keras

    convs = [l for l in model._flatten_layers(include_self=False)
             if isinstance(l, (keras.layers.Conv2D, keras.layers.Conv2DTranspose))]
    originals = {}
    for layer in convs:
        originals[layer] = layer.call

        def wrapped(inputs, _layer=layer, _call=layer.call, **kw):
            out = _call(inputs, **kw)
            _layer._fz_out_hw = tuple(out.shape[1:3])
            return out

        layer.call = wrapped
    model(x)
    for layer, call in originals.items():
        layer.call = call


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--image-size", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--steps", type=int, default=20)
    args = p.parse_args(argv)

    import keras
    import numpy as np
    import tensorflow as tf

    from bench.common import matmul_gflops, table, textbook_dcgan_step
    from zoo.models.dcgan import DCGANDiscriminator, DCGANGenerator
    from zoo.trainers import GANTrainer

    size, batch, steps = args.image_size, args.batch_size, args.steps
    data = tf.data.Dataset.from_tensors(tf.random.uniform((batch, size, size, 3), -1, 1)).repeat().prefetch(2)

    def models():
        return DCGANGenerator(100, size, 3, 64), DCGANDiscriminator(size, 3, 64)

    # --- plain: the textbook tf.function step, no XLA
    g, d = models()
    plain_step = textbook_dcgan_step(g, d, batch)

    it = iter(data)
    plain_step(next(it))
    plain_step(next(it))[0].numpy()
    t = time.perf_counter()
    for _ in range(steps):
        out = plain_step(next(it))
    out[0].numpy()
    plain_ips = steps * batch / (time.perf_counter() - t)

    # --- facezoo: GANTrainer.fit with jit_compile
    g, d = models()
    trainer = GANTrainer(g, d)
    trainer.compile(g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                    d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5), jit_compile=True)
    trainer.build_all()
    trainer.fit(data, steps_per_epoch=3, epochs=1, verbose=0)  # compile
    t = time.perf_counter()
    trainer.fit(data, steps_per_epoch=steps, epochs=1, verbose=0)
    zoo_ips = steps * batch / (time.perf_counter() - t)

    record_shapes(g, tf.zeros((1, 100)))
    record_shapes(d, tf.zeros((1, size, size, 3)))
    g_f, d_f = forward_flops(g, (None, 100)), forward_flops(d, (None, size, size, 3))
    flops_per_image = 4 * g_f + 9 * d_f
    peak = matmul_gflops()
    rows = [
        ["plain tf.function (no XLA)", f"{plain_ips:.1f}", f"{plain_ips * flops_per_image / 1e9:.1f}",
         f"{plain_ips * flops_per_image / 1e9 / peak:.0%}", "1.00x"],
        ["facezoo GANTrainer (fit, XLA)", f"{zoo_ips:.1f}", f"{zoo_ips * flops_per_image / 1e9:.1f}",
         f"{zoo_ips * flops_per_image / 1e9 / peak:.0%}", f"{zoo_ips / plain_ips:.2f}x"],
    ]
    print(f"DCGAN {size}x{size}, batch {batch}, {steps} steps; G {g_f / 1e6:.0f} MFLOP and D {d_f / 1e6:.0f} MFLOP "
          f"forward per image; matmul peak measured {peak:.1f} GFLOP/s")
    print(table(rows, ["implementation", "img/s", "GFLOP/s", "of matmul peak", "speed-up"]))


if __name__ == "__main__":
    main()
