"""Every GAN / VAE family is reproducible from its seed (issue 15 item 1): two fresh processes with the same seed
build identical weights and take an identical first step, and no two layers share one kernel."""

import json
import os
import subprocess
import sys
import textwrap

from tests.conftest import ROOT

BUILD_AND_STEP = textwrap.dedent("""
    import hashlib, json
    import numpy as np
    from recipes import celeba_dcgan, celeba_ddim, celeba_gan, celeba_vae, celeba_vae_gan, celeba_wgan_gp, utkface_vae

    FAMILIES = {
        "dcgan": (celeba_dcgan, dict(latent_dim=8, base_filters=4)),
        "gan": (celeba_gan, dict(latent_dim=8, g_filters=4, d_filters=4)),
        "wgan_gp": (celeba_wgan_gp, dict(latent_dim=8, base_filters=4, n_critic=1)),
        "vae": (celeba_vae, dict(latent_dim=8, base_filters=4)),
        "vae_gan": (celeba_vae_gan, dict(latent_dim=8, base_filters=4, d_filters=4, d_dense_units=8)),
        "conv_vae": (utkface_vae, dict(latent_dim=4, base_filters=4, dense_units=8, channels=1)),
        "ddim": (celeba_ddim, dict(widths=(4, 8), block_depth=1, embedding_dims=4)),
    }
    out = {}
    for name, (recipe, kwargs) in FAMILIES.items():
        cfg = recipe.Config(image_size=16, batch_size=2, jit_compile=False, seed=5, **kwargs)
        trainer = recipe.build(cfg)
        trainer.build_all()
        weights = {v.path: np.asarray(v) for v in trainer.weights}
        # (the diffusion sampler's EMA copy of the denoiser starts equal to it by design)
        kernels = [(p, w) for p, w in weights.items() if p.endswith("kernel") and w.size > 1
                   and not p.startswith("generator/")]
        shared = [(a, b) for i, (a, wa) in enumerate(kernels) for b, wb in kernels[i + 1:]
                  if wa.shape == wb.shape and np.array_equal(wa, wb)]
        digest = hashlib.sha256(b"".join(weights[p].tobytes() for p in sorted(weights))).hexdigest()
        x = np.random.default_rng(0).uniform(-1, 1, (2, 16, 16, getattr(cfg, "channels", 3))).astype("float32")
        logs = {k: float(v) for k, v in trainer.train_step(x).items()}
        out[name] = {"weights": digest, "losses": logs, "shared": shared}
    print(json.dumps(out))
""")


def _run():
    env = {**os.environ, "PYTHONPATH": ROOT, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    p = subprocess.run([sys.executable, "-c", BUILD_AND_STEP], cwd=ROOT, env=env, capture_output=True, text=True,
                       timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(p.stdout.strip().splitlines()[-1])


def test_each_family_is_the_same_run_from_the_same_seed_in_fresh_processes():
    first, second = _run(), _run()
    assert set(first) == {"dcgan", "gan", "wgan_gp", "vae", "vae_gan", "conv_vae", "ddim"}
    for name in first:
        assert first[name]["shared"] == [], f"{name}: layers share a kernel: {first[name]['shared'][:3]}"
        assert first[name]["weights"] == second[name]["weights"], f"{name}: weights differ between processes"
        assert first[name]["losses"] == second[name]["losses"], (name, first[name]["losses"],
                                                                second[name]["losses"])
