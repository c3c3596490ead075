"""--precision auto picks by what the machine has, says so, and records the choice (issue 28 item 4)."""

import json
import os

from recipes import celeba_dcgan
from zoo.utils.hardware import auto_precision

TINY = ["--data", "synthetic", "--image-size", "8", "--batch-size", "4", "--num-synthetic", "16",
        "--base-filters", "4", "--latent-dim", "8", "--num-samples", "4"]


def test_auto_precision_reads_the_cpu_flags_and_the_gpus():
    assert auto_precision({"avx2", "avx512f", "amx_bf16", "amx_tile"}, [])[0] == "mixed_bfloat16"
    assert auto_precision({"avx2", "avx512f", "avx512_bf16"}, [])[0] == "float32"  # AVX-512 BF16 without AMX
    assert auto_precision({"avx2"}, [(8, 0)])[0] == "mixed_float16"
    assert auto_precision({"amx_bf16"}, [(6, 1)])[0] == "mixed_bfloat16"  # a Pascal GPU has no tensor cores


def test_a_run_with_auto_records_and_says_the_precision_it_picked(tmp_path, capsys, monkeypatch):
    import zoo.utils.hardware as hardware

    for flags, expected in (({"avx2", "amx_bf16"}, "mixed_bfloat16"), ({"avx2"}, "float32")):
        monkeypatch.setattr(hardware, "_cpuinfo", lambda flags=flags: ("a CPU", flags))
        out = tmp_path / expected
        assert celeba_dcgan.main([*TINY, "--steps", "1", "--precision", "auto", "--out", str(out)]) == 0
        assert f"precision: auto -> {expected}" in capsys.readouterr().out
        (run,) = os.listdir(out)
        assert json.load(open(out / run / "config.json"))["precision"] == expected
