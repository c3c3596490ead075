"""Shared helpers of the GAN / VAE family recipe tests."""

import json
import os

TINY = ["--data", "synthetic", "--image-size", "16", "--batch-size", "4", "--steps", "2", "--num-synthetic", "16",
        "--no-jit-compile", "--num-samples", "4"]


def only_run(out, name):
    runs = [d for d in os.listdir(out) if d.endswith("-" + name)]
    assert len(runs) == 1, runs
    return os.path.join(out, runs[0])


def assert_run_written(run, reconstructions=False):
    cfg = json.load(open(os.path.join(run, "config.json")))
    assert cfg["image_size"] == 16 and cfg["steps"] == 2
    status = json.load(open(os.path.join(run, "status.json")))
    assert status["status"] == "finished" and status["step"] == 2
    assert os.listdir(os.path.join(run, "checkpoints"))
    for f in ("samples/latest.png", "plots/losses.png", "logs/metrics.csv"):
        assert os.path.isfile(os.path.join(run, f)), f
    if reconstructions:
        assert os.path.isfile(os.path.join(run, "reconstructions", "latest.png"))
    return open(os.path.join(run, "logs", "metrics.csv")).readline().strip().split(",")


def dry_run(main, argv, capsys):
    assert main(["--dry-run", *argv]) == 0
    out = capsys.readouterr().out
    return json.loads(out[: out.rindex("}") + 1]), out
