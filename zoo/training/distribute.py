"""The tf.distribute strategy a run uses, and what a multi-worker run needs around Keras' ``fit``.

Several GPUs -> MirroredStrategy; ``TF_CONFIG`` naming several workers -> MultiWorkerMirroredStrategy (one process
per worker, started by ``python -m zoo.training.launch`` or a cluster). A multi-worker run is the single-worker run
with its global batch split over the replicas:

- data: every worker builds the run's one seeded order of global batches (``make_dataset``, ``start_batch`` = the
  step) and keeps its replicas' slices of each (``shard_global_batches``), so the workers' batches are disjoint
  and together are the single worker's batch; a resume restarts them at the same global position.
- writes: only the chief writes into the run folder; the others write into a temporary folder of their own,
  removed when the process ends (``worker_run_dir``).
- state: the chief restores the checkpoint and its values are copied to every worker (``copy_from_chief``), so the
  other workers need no access to the chief's files.
- logs: Keras 3 reduces the logged values over the workers with ``strategy.reduce(MEAN, v, axis=0)``, which fails
  on the scalars a trainer returns (tensorflow/tensorflow#72388); ``log_vectors`` returns them as [1] vectors,
  whose mean over the workers is the global value.

Cluster facts come from ``TF_CONFIG`` alone (``cluster_spec``, ``is_chief``) so that they can be read before
TensorFlow is imported.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile

_STRATEGY = None
_SCRATCH: dict[str, str] = {}


def tf_config() -> dict:
    """``TF_CONFIG`` as a dict ({} when unset); a value that is not a JSON object is a ValueError saying so."""
    text = os.environ.get("TF_CONFIG", "") or "{}"
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"TF_CONFIG is not valid JSON ({e}): {text[:200]}") from e
    if not isinstance(value, dict):
        raise ValueError(f"TF_CONFIG must be a JSON object with 'cluster' and 'task', got {text[:200]}")
    return value


def num_workers() -> int:
    """Processes in the cluster ``TF_CONFIG`` names (chief and workers), 1 without one."""
    cluster = tf_config().get("cluster", {})
    return max(1, len(cluster.get("worker", [])) + len(cluster.get("chief", [])))


def is_chief() -> bool:
    """Whether this process writes the run folder: the ``chief`` task, or worker 0 when the cluster has no chief
    (tf.distribute's rule), or the only process."""
    cfg = tf_config()
    task = cfg.get("task", {})
    if num_workers() == 1 or not task:
        return True
    if "chief" in cfg.get("cluster", {}):
        return task.get("type") == "chief"
    return task.get("type") == "worker" and int(task.get("index", 0)) == 0


def get_strategy():
    """MultiWorkerMirroredStrategy when ``TF_CONFIG`` names several workers (created once per process),
    MirroredStrategy on more than one GPU, otherwise the default (single-device) strategy.

    The multi-worker strategy must exist before TensorFlow runs its first op; recipes call this before loading
    data (``zoo.training.setup.load_training_source``)."""
    import tensorflow as tf

    global _STRATEGY
    if num_workers() > 1:
        if _STRATEGY is None:
            try:
                _STRATEGY = tf.distribute.MultiWorkerMirroredStrategy()
            except RuntimeError as e:
                raise RuntimeError(f"TF_CONFIG names {num_workers()} workers, but TensorFlow ran an op before the "
                                   f"multi-worker strategy was made ({e}); call zoo.training.distribute."
                                   f"get_strategy() before building data or models") from e
        return _STRATEGY
    gpus = tf.config.list_logical_devices("GPU")
    if len(gpus) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


def is_multi_worker(strategy) -> bool:
    return bool(getattr(strategy.extended, "_in_multi_worker_mode", lambda: False)())


def worker_run_dir(run_dir: str) -> str:
    """``run_dir`` on the chief; on any other worker a temporary folder of the same layout (made once per
    process and ``run_dir``, removed when the process exits), where its callbacks write what tf.distribute makes
    every worker write. A folder that already is this worker's scratch folder is returned as it is."""
    if is_chief() or run_dir in _SCRATCH.values():
        return run_dir
    if run_dir not in _SCRATCH:
        from zoo.training.run_dir import SUBDIRS

        path = tempfile.mkdtemp(prefix=f"zoo-worker{tf_config().get('task', {}).get('index', '')}-")
        for sub in SUBDIRS:
            os.makedirs(os.path.join(path, sub), exist_ok=True)
        _SCRATCH[run_dir] = path
        atexit.register(shutil.rmtree, path, True)
    return _SCRATCH[run_dir]


def shard_global_batches(dataset, batch_size: int, input_context):
    """Per-replica batches of this worker from ``dataset``'s global elements.

    An element holds k consecutive real batches of ``batch_size`` (B) images, [k * B, ...] (k = 1, n_critic, or
    a schedule's count; a structure of such tensors is split alike). Each real batch is cut into R =
    ``num_replicas_in_sync`` slices of B / R in order; replica r takes slice r of each of the k batches, so the
    replicas' batches are disjoint and together are the element, and a replica's k critic batches are its slices
    of the single worker's k. This worker (``input_context``: its index and its local replicas) yields one
    element per local replica, in replica order."""
    import tensorflow as tf

    replicas = int(input_context.num_replicas_in_sync)
    local = replicas // int(input_context.num_input_pipelines)
    first = int(input_context.input_pipeline_id) * local
    if batch_size % replicas:
        raise ValueError(f"a batch of {batch_size} images does not split over {replicas} replicas: use a batch "
                         f"size that is a multiple of {replicas}")
    part = batch_size // replicas

    def mine(x):
        shape = tf.shape(x)
        x = tf.reshape(x, tf.concat([[-1, replicas, part], shape[1:]], axis=0))[:, first:first + local]
        x = tf.experimental.numpy.swapaxes(x, 0, 1)  # [local, k, B / R, ...]
        return tf.reshape(x, tf.concat([[local, -1], shape[1:]], axis=0))

    return dataset.map(lambda *e: tf.nest.map_structure(mine, e if len(e) > 1 else e[0])).unbatch()


def distribute_dataset(strategy, dataset_fn, start_step: int, batch_size: int | None):
    """``dataset_fn(start_step)`` as ``fit`` takes it under ``strategy``: unchanged on one worker; on several, a
    distributed dataset of each worker's slices (``shard_global_batches``). ``batch_size`` None: the elements'
    static first dimension (one real batch per step)."""
    if not is_multi_worker(strategy):
        return dataset_fn(start_step)

    def per_worker(input_context):
        ds = dataset_fn(start_step)
        size = batch_size
        if size is None:
            import tensorflow as tf

            size = tf.nest.flatten(ds.element_spec)[0].shape[0]
            if size is None:
                raise ValueError("the dataset's batch size is not static: pass batch_size to train()")
        return shard_global_batches(ds, int(size), input_context)

    return strategy.distribute_datasets_from_function(per_worker)


def log_vectors(trainer) -> None:
    """Make ``trainer.train_step`` return its logs as [1] vectors (see the module docstring: Keras 3's
    multi-worker reduction of scalars); Keras' mean over the workers turns them back into scalars."""
    import tensorflow as tf

    step = trainer.train_step
    if getattr(step, "_zoo_log_vectors", False):
        return

    def train_step(data):
        return tf.nest.map_structure(lambda v: tf.reshape(v, [1]), step(data))

    train_step._zoo_log_vectors = True
    trainer.train_step = train_step


def copy_from_chief(strategy, groups: dict[str, list]) -> None:
    """Give every worker the chief's values of ``groups`` ({group: [variables]}), e.g. after the chief alone
    restored a checkpoint: one all-reduce in which only replica 0 (the chief's first) contributes. Integer
    variables (step counters, RNG states) travel as float64, exact below 2**53."""
    import tensorflow as tf

    variables = [v for g in groups.values() for v in g]

    def contribute():
        ctx = tf.distribute.get_replica_context()
        first = tf.equal(ctx.replica_id_in_sync_group, 0)
        out = []
        for v in variables:
            x = tf.convert_to_tensor(getattr(v, "value", v))
            if not x.dtype.is_floating:
                x = tf.cast(x, tf.float64)
            out.append(ctx.all_reduce("SUM", tf.where(first, x, tf.zeros_like(x))))
        return out

    values = tf.function(lambda: strategy.run(contribute))()
    for v, value in zip(variables, values):
        value = strategy.experimental_local_results(value)[0]
        v.assign(tf.cast(value, tf.as_dtype(v.dtype)))
