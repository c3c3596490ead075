"""What a run ran on, for its command.json and a preset's metadata: CPU model, cores usable by this process, the
CPU features that decide the fast precision (AVX-512, AVX512-BF16, AMX) and the GPUs TensorFlow sees."""

from __future__ import annotations

import os
import platform
import sys

_FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile")


def _cpuinfo() -> tuple[str, set]:
    model, flags = platform.processor() or platform.machine(), set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name":
                    model = value.strip()
                elif key == "flags":
                    flags = set(value.split())
                if flags and model:
                    break
    except OSError:  # not Linux: the model from platform, no flags
        pass
    return model, flags


def describe() -> dict:
    """{"cpu", "cores", "cpu_features", "gpus", "summary"}. GPUs are listed only when TensorFlow is already
    imported (this never imports it)."""
    model, flags = _cpuinfo()
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        cores = os.cpu_count() or 1
    features = [f for f in _FLAGS if f in flags]
    gpus = []
    tf = sys.modules.get("tensorflow")
    if tf is not None:
        try:
            gpus = [d.name for d in tf.config.list_physical_devices("GPU")]
        except Exception:  # noqa: BLE001 - a broken driver must not stop a run from recording what it can
            gpus = []
    summary = (f"{model}, {cores} CPU core{'s' if cores != 1 else ''}"
               + (f" ({', '.join(features)})" if features else "")
               + (f", {len(gpus)} GPU" if gpus else ", no GPU"))
    return {"cpu": model, "cores": cores, "cpu_features": features, "gpus": gpus, "summary": summary}


BFLOAT16_FASTER = 1.1  # bfloat16 is picked over float32 only when a measured step is at least this much faster


def auto_precision(flags: set | None = None, gpu_capabilities: list | None = None,
                   measure=None) -> tuple[str, str]:
    """(precision, why) for ``--precision auto``: the compute dtype that is faster on this machine.

    - an NVIDIA GPU of compute capability 7.0 or higher: ``mixed_float16`` (tensor cores; TensorFlow's mixed
      precision guide; not measured here, where no GPU runs TensorFlow);
    - a CPU with AMX (``amx_bf16``): ``mixed_bfloat16`` (a plain DCGAN step measured 1.68x faster on such a CPU);
    - a CPU with AVX512-BF16 but no AMX: it depends on the model, so it is measured when ``measure`` is given
      (``measure(("float32", "mixed_bfloat16"))`` -> seconds per step of each): on one AMD EPYC a plain DCGAN step
      gained nothing in bfloat16 while a VAE-GAN step at 64 px ran 1.5x faster. bfloat16 is picked when it is
      ``BFLOAT16_FASTER`` times faster; without ``measure``, or when measuring fails, ``float32``;
    - otherwise ``float32`` (no bfloat16 instructions: bfloat16 is emulated).
    ``flags`` (CPU flags) and ``gpu_capabilities`` ((major, minor) per GPU) default to this machine's; the GPUs
    are read through TensorFlow, which is imported for it (listing devices runs no op)."""
    if flags is None:
        flags = _cpuinfo()[1]
    if gpu_capabilities is None:
        import tensorflow as tf

        gpu_capabilities = [tuple(tf.config.experimental.get_device_details(g).get("compute_capability") or (0, 0))
                            for g in tf.config.list_physical_devices("GPU")]
    if any(tuple(c) >= (7, 0) for c in gpu_capabilities):
        return "mixed_float16", "a GPU of compute capability 7.0 or higher"
    if "amx_bf16" in flags:
        return "mixed_bfloat16", "this CPU has AMX"
    gpu = " and no GPU of compute capability 7.0 or higher" if gpu_capabilities else ""
    if "avx512_bf16" in flags and measure is not None:
        try:
            seconds = measure(("float32", "mixed_bfloat16"))
            ratio = float(seconds["float32"]) / float(seconds["mixed_bfloat16"])
        except Exception as e:  # noqa: BLE001 - a failed measurement must not stop the run: the safe default
            return "float32", (f"this CPU has AVX512-BF16 but no AMX{gpu}; timing this model's step failed "
                               f"({type(e).__name__}: {str(e)[:120]})")
        measured = (f"this model's training step measured here: {seconds['float32'] * 1000:.0f} ms in float32, "
                    f"{seconds['mixed_bfloat16'] * 1000:.0f} ms in bfloat16, {ratio:.2f}x")
        if ratio >= BFLOAT16_FASTER:
            return "mixed_bfloat16", f"AVX512-BF16 without AMX; {measured}"
        return "float32", f"AVX512-BF16 without AMX; {measured}, under the {BFLOAT16_FASTER}x that bfloat16 must gain"
    if "avx512_bf16" in flags:
        return "float32", f"this CPU has AVX512-BF16 but no AMX{gpu}, and this recipe's step is not timed"
    return "float32", "this CPU has no AMX" + gpu
