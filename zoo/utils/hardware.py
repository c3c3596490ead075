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
