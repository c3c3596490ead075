"""Steps per second of 1 vs 2 local workers (``python -m zoo.training.launch``) on the same global batch.

    python -m bench.multi_worker [--image-size 32] [--batch-size 32] [--steps 40] [--base-filters 16]

Runs ``recipes.celeba_dcgan`` on synthetic faces through the launcher with 1 and then 2 workers, one after the
other, and reads each run's ``logs/metrics.csv``: the rate is taken between the first logged step and the last,
so the start-up (TensorFlow import, strategy, data cache, tracing) is left out. On one machine the two workers
share its cores and memory bandwidth, so this measures what the collective (gradient all-reduce over gRPC on
localhost, once per optimizer update) and the split costs, not a speed-up: a real cluster adds a machine's worth
of compute per worker and pays the all-reduce over its network instead.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time


def run(workers: int, args, out: str) -> dict:
    cmd = [sys.executable, "-m", "zoo.training.launch", "--workers", str(workers), "--",
           sys.executable, "-m", "recipes.celeba_dcgan", "--data", "synthetic", "--num-synthetic", "512",
           "--image-size", str(args.image_size), "--base-filters", str(args.base_filters), "--latent-dim", "32",
           "--batch-size", str(args.batch_size), "--steps", str(args.steps), "--log-every", "1",
           "--checkpoint-every", "0", "--out", out]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    start = time.time()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    wall = time.time() - start
    (run_dir,) = [os.path.join(out, d) for d in os.listdir(out)]
    with open(os.path.join(run_dir, "logs", "metrics.csv")) as f:
        rows = [r for r in csv.DictReader(f)]
    first, last = rows[0], rows[-1]
    steps = int(last["step"]) - int(first["step"])
    return {"workers": workers, "steps/s": steps / (float(last["seconds"]) - float(first["seconds"])), "wall_s": wall}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--image-size", type=int, default=32)
    p.add_argument("--batch-size", type=int, default=32, help="global batch (split over the workers)")
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--base-filters", type=int, default=16)
    args = p.parse_args(argv)
    results = []
    for workers in (1, 2):
        with tempfile.TemporaryDirectory() as out:
            results.append(run(workers, args, out))
    print(f"DCGAN {args.image_size} px, base {args.base_filters} filters, global batch {args.batch_size}, "
          f"{args.steps} steps, {os.cpu_count()} CPU cores")
    for r in results:
        print(f"  {r['workers']} worker{'s' if r['workers'] > 1 else ' '}: {r['steps/s']:6.2f} steps/s "
              f"(whole command {r['wall_s']:.0f} s)")
    print(f"  2 workers / 1 worker: {results[1]['steps/s'] / results[0]['steps/s']:.2f}x")


if __name__ == "__main__":
    main()
