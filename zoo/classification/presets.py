"""Built-in presets of a finished classifier run: one preset per head (and the multi-task one)."""

from __future__ import annotations

import os


def export_presets(run_dir: str, dest: str, training_command: str | None = None) -> list[str]:
    """Turn a finished run's ``preset/`` into built-in presets under ``dest``: ``classifier_<task>_utkface_<S>``
    for each head (the multi-task run also gives ``classifier_multitask_utkface_<S>``; a single-head model
    is the multi-task trunk with that head only, so its outputs equal the multi-task model's). Colour models
    get a ``_colour`` suffix. Returns the preset folders written."""
    from zoo.registry import from_preset, save_to_preset
    from zoo.utils.io import read_json

    model = from_preset(os.path.join(run_dir, "preset"))
    meta = dict(read_json(os.path.join(run_dir, "preset", "metadata.json")))
    for k in ("class_name", "weights_dtype", "parameters", "weights_sha256", "keras_version"):
        meta.pop(k, None)
    if training_command:
        meta["training_command"] = training_command
    suffix = f"utkface_{model.image_size}" + ("_colour" if model.channels == 3 else "")
    test = meta["metrics"]["test"]
    written = []
    variants = [(t, (t,)) for t in model.tasks]
    if len(model.tasks) > 1:
        variants.insert(0, ("multitask", tuple(model.tasks)))
    for label, tasks in variants:
        sub = model if tasks == tuple(model.tasks) else model.with_tasks(tasks, name="classifier")
        info = {**meta, "tasks": list(tasks),
                "metrics": {**meta["metrics"], "test": {k: v for k, v in test.items() if k.split("_")[0] in tasks}}}
        if tasks != tuple(model.tasks):
            info["derived_from"] = (f"the {'/'.join(model.tasks)} multi-task model of this run: its trunk and the "
                                    f"{label} head, unchanged")
        written.append(save_to_preset(sub, os.path.join(dest, f"classifier_{label}_{suffix}"), info,
                                      weights_dtype="float16"))
    return written
