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


def auto_precision(flags: set | None = None, gpu_capabilities: list | None = None) -> tuple[str, str]:
    """(precision, why) for ``--precision auto``: the compute dtype that is faster on this machine.

    - an NVIDIA GPU of compute capability 7.0 or higher: ``mixed_float16`` (tensor cores; TensorFlow's mixed
      precision guide; not measured here, where no GPU runs TensorFlow);
    - a CPU with AMX (``amx_bf16``): ``mixed_bfloat16`` (a plain DCGAN step measured 1.68x faster on such a CPU);
    - otherwise ``float32``: without AMX bfloat16 gained nothing on the CPUs measured (AVX-512 BF16 included).
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
    reason = "this CPU has no AMX" + (" and no GPU of compute capability 7.0 or higher" if gpu_capabilities else "")
    return "float32", reason
