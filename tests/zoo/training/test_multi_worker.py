"""Multi-worker runs (issue 30): real worker processes started by ``python -m zoo.training.launch``.

The equality tests are the cross-process analogue of tests/zoo/trainers/test_progressive_trainer.py's "two
replicas give the same weights as one": randomness is tied to the examples (latents / posterior noise from the
image), batch norm is synchronized over the replicas and the optimizer is SGD, so one worker at global batch B and
two workers at B / 2 each must agree to float rounding when the data sharding, the gradient reduction and the
loss scaling are right."""

import glob
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

JOB = textwrap.dedent("""
    import sys
    from zoo.training.distribute import get_strategy
    strategy = get_strategy()
    import keras, tensorflow as tf
    from zoo.training.loop import train
    from zoo.training.setup import image_dataset_fn, load_training_source, steps_for
    kind, run_dir, steps, resume = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "resume"
    if kind == "dcgan":
        from recipes.celeba_dcgan import Config, build
    else:
        from recipes.celeba_vae import Config, build
    cfg = Config(data="synthetic", num_synthetic=24, image_size=16, base_filters=4, latent_dim=6, batch_size=4,
                 optimizer="sgd", learning_rate=0.05 if kind == "dcgan" else 0.002, steps=steps)
    source = load_training_source(cfg)
    with strategy.scope():
        trainer = build(cfg)
    for layer in trainer._flatten_layers():
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.synchronized = True  # batch statistics of the global batch, as on one worker
    seen = {}
    inner = trainer.train_step
    def train_step(data):
        seen["real"] = data
        return inner(data)
    trainer.train_step = train_step
    def from_images(batch):  # an example's latent / noise is a function of its image: same on 1 or 2 workers
        return tf.tile(tf.reduce_mean(seen["real"], axis=[1, 2]), [1, 2]) * 3.0
    if kind == "dcgan":
        trainer.sample_latent = from_images
    else:
        trainer.sampling.call = lambda mean, log_var: mean + tf.exp(0.5 * log_var) * tf.tanh(from_images(0))
    per_epoch, total = steps_for(len(source), cfg.batch_size, cfg.epochs, cfg.steps)
    train(trainer, image_dataset_fn(source, cfg), run_dir, steps_per_epoch=per_epoch, total_steps=total,
          resume=resume, checkpoint_every=1, keep_checkpoints=0, log_every=1, verbose=2, batch_size=cfg.batch_size)
""")


def _env(tmp_path, **extra):
    scratch = tmp_path / "tmp"
    scratch.mkdir(exist_ok=True)
    return {**os.environ, "PYTHONPATH": ROOT, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "",
            "TMPDIR": str(scratch), **extra}


def _launch(tmp_path, workers, *args, **popen):
    script = tmp_path / "job.py"
    script.write_text(JOB)
    cmd = [sys.executable, "-m", "zoo.training.launch", "--workers", str(workers), "--grace", "3", "--",
           sys.executable, str(script), *map(str, args)]
    return subprocess.Popen(cmd, cwd=ROOT, env=_env(tmp_path, **popen.pop("env", {})), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **popen)


def _run(tmp_path, workers, *args):
    p = _launch(tmp_path, workers, *args)
    out, err = p.communicate(timeout=240)
    assert p.returncode == 0, err[-3000:]
    return out, err


def _weights(run_dir, step):
    with np.load(os.path.join(run_dir, "checkpoints", f"ckpt-{step:08d}", "variables.npz")) as z:
        return {k: z[k] for k in z.files}


def _compare(a, b):
    return max(float(np.abs(a[k].astype("float64") - b[k].astype("float64")).max()) for k in a)


STEPS = 8


def _same_as_one_worker(one, other):
    """``other``'s last weights equal ``one``'s to float rounding, and ``one``'s weights really moved."""
    a, b = _weights(one, STEPS), _weights(other, STEPS)
    assert sorted(a) == sorted(b)
    moved = max(float(np.abs(a[k] - _weights(one, 1)[k]).max()) for k in a if k.startswith("model/"))
    diff = _compare(a, b)
    assert diff < 1e-5 and moved > 1e-3 and moved > 100 * diff, (diff, moved)


# The DCGAN's two-worker steps are checked by the killed-worker test below: its first steps run on two workers and
# its end must match one worker's weights exactly. The VAE gets the whole run on two workers here.
def test_two_workers_end_with_the_weights_of_one_at_the_same_global_batch(tmp_path):
    one = str(tmp_path / "one")
    _run(tmp_path, 1, "vae", one, STEPS, "new")
    two = str(tmp_path / "two")
    out, err = _run(tmp_path, 2, "vae", two, STEPS, "new")
    _same_as_one_worker(one, two)
    # only the chief wrote: one run folder with checkpoints, metrics and status; the other worker's temporary
    # folder is gone, and the launcher removed its log folder after a run that succeeded
    assert set(os.listdir(tmp_path)) - {"one"} == {"job.py", "tmp", "two"}
    assert os.listdir(tmp_path / "tmp") == []
    assert os.path.isfile(os.path.join(two, "logs", "metrics.csv"))
    assert json.load(open(os.path.join(two, "status.json")))["status"] == "finished"
    # the logged losses are the global batch's: the same numbers as one worker's (and one writer: as many rows)
    logged = [np.genfromtxt(os.path.join(d, "logs", "metrics.csv"), delimiter=",", names=True) for d in (one, two)]
    assert len(logged[0]) == len(logged[1]) >= 4
    np.testing.assert_allclose(logged[1]["loss"], logged[0]["loss"], rtol=1e-4)


def test_killed_worker_stops_the_job_and_a_resume_reaches_the_uninterrupted_weights(tmp_path):
    one_worker_dcgan = str(tmp_path / "one")
    _run(tmp_path, 1, "dcgan", one_worker_dcgan, STEPS, "new")
    run = str(tmp_path / "run")
    # Each checkpoint pauses the chief 0.3 s, so the kill lands mid-run.
    p = _launch(tmp_path, 2, "dcgan", run, STEPS, "new", env={"ZOO_TEST_CHECKPOINT_PAUSE_S": "0.3"})
    pid = None
    for line in iter(p.stderr.readline, ""):  # the launcher names each worker's pid first
        if "worker 1 pid" in line:
            pid = int(line.split("worker 1 pid")[1].split()[0])
            break
    deadline = time.time() + 120
    while time.time() < deadline and not glob.glob(os.path.join(run, "checkpoints", "ckpt-00000002")):
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    out, err = p.communicate(timeout=120)
    assert p.returncode != 0
    assert f"worker 1 (pid {pid}) was killed by signal 9 (SIGKILL)" in err and "--resume" in err, err[-2000:]
    last = max(int(os.path.basename(c)[5:]) for c in glob.glob(os.path.join(run, "checkpoints", "ckpt-*")))
    assert 2 <= last < STEPS
    # Resumed on ONE worker: the data position is global and the state is the chief's, so this is exact too.
    out, _ = _run(tmp_path, 1, "dcgan", run, STEPS, "resume")
    assert "resumed from" in out
    _same_as_one_worker(one_worker_dcgan, run)


def test_shards_are_disjoint_and_together_are_the_single_worker_batches():
    import tensorflow as tf

    from zoo.data import load_source, make_dataset
    from zoo.training.distribute import shard_global_batches

    class Context:
        def __init__(self, index):
            self.num_replicas_in_sync, self.num_input_pipelines, self.input_pipeline_id = 2, 2, index

    source = load_source("synthetic", image_size=8, num_synthetic=12)
    for k in (1, 2):  # one real batch per step, and n_critic = 2 (two critic batches per step)
        full = make_dataset(source, 8, 4 * k, seed=3, start_batch=2)
        mine = [list(shard_global_batches(full, 4, Context(i)).take(5).as_numpy_iterator()) for i in (0, 1)]
        for step, batch in enumerate(full.take(5).as_numpy_iterator()):
            w0, w1 = mine[0][step], mine[1][step]
            assert w0.shape == w1.shape == (2 * k, 8, 8, 3)
            for c in range(k):  # critic batch c of the single worker = worker 0's slice c then worker 1's
                np.testing.assert_array_equal(batch[4 * c:4 * c + 4],
                                              np.concatenate([w0[2 * c:2 * c + 2], w1[2 * c:2 * c + 2]]))
    with pytest.raises(ValueError, match="does not split over 2 replicas"):
        shard_global_batches(tf.data.Dataset.range(3), 3, Context(0))


def test_launcher_refuses_bad_input_in_one_sentence():
    env = {**os.environ, "PYTHONPATH": ROOT}
    for args, words in ((["--workers", "2"], "after --"), (["--workers", "0", "--", "true"], "--workers"),
                        (["--workers", "2", "--", "no-such-program-xyz"], "not a program")):
        p = subprocess.run([sys.executable, "-m", "zoo.training.launch", *args], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 2 and words in p.stderr and "Traceback" not in p.stderr, p.stderr


def test_a_progressive_resume_with_several_workers_is_refused(monkeypatch, tmp_path):
    """The progressive driver reads the level from the checkpoint, which only the chief restores: the other
    workers would train another level. Refused in a sentence before any data is read."""
    import types

    import zoo.training.distribute as distribute
    from recipes.ffhq_stylegan import Config
    from zoo.training.progressive_run import run_levels

    strategy = types.SimpleNamespace(num_replicas_in_sync=1,
                                     extended=types.SimpleNamespace(_in_multi_worker_mode=lambda: True))
    monkeypatch.setattr(distribute, "get_strategy", lambda: strategy)
    cfg = Config(data="synthetic", num_synthetic=16, resolutions=(4, 8), batch_size=4)
    with pytest.raises(ValueError, match="works on one worker only"):
        run_levels(cfg, None, str(tmp_path), resume=True, render_kwargs={})
