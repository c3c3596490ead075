"""Turn a training run into a preset folder.

    python -m zoo.make_preset RUN_DIR --part generator --out zoo/presets/dcgan_utkface_64 [--weights-dtype float16]
    python -m zoo.make_preset RUN_DIR/checkpoints/ckpt-00006000 --out ...   # that checkpoint, not the newest
    python -m zoo.make_preset RUN_DIR --part generator --with-discriminator --out ...  # for fine-tuning (--init-from)

The metadata records the dataset, resolution, the exact training command and the hardware it ran on (from the
run's command.json), the training wall time, images seen, the run's final logged metrics, the steps trained and
the dataset's licence. ``--with-discriminator`` also writes the run's discriminator into ``OUT/discriminator/`` (its
own config.json, weights.npz and metadata.json, stored by the same float16 rule), recorded in the metadata, as
stylegan2-ada's network pickles carry D beside G_ema: ``--init-from`` then fine-tunes both. A folder that is not a run, or a run without an intact checkpoint, exits 2 with a sentence.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys

LICENCES = {
    "utkface": "UTKFace: non-commercial research purposes only (https://susanqq.github.io/UTKFace/)",
    "celeba": "CelebA: non-commercial research purposes only (http://mmlab.ie.cuhk.edu.hk/projects/CelebA.html)",
    "ffhq": "FFHQ: Creative Commons BY-NC-SA 4.0 (images under their own licences, see NVlabs/ffhq-dataset)",
    "synthetic": "CC0: trained on facezoo's procedural synthetic faces",
}


def make_preset(run_dir: str, part: str | None, out: str, weights_dtype: str = "float32", extra: dict | None = None,
                max_storage_difference: float = 0.02, decoder: str | None = None, with_discriminator: bool = False):
    """Save sub-model ``part`` of ``run_dir`` to ``out``: the run's model as ``zoo.runs.run_model`` defines it (for a
    progressive run the EMA generator at the level and fade-in reached); ``part`` None picks the default one.
    float16 weights are kept only when they move the outputs by at most ``max_storage_difference`` (images in
    [-1, 1]: 0.02 is 2.5 of 255); otherwise the preset stores float32 and says so. ``with_discriminator``: the run's
    discriminator too, in ``out/discriminator`` (same rule), recorded as the metadata's ``discriminator``."""
    from zoo.runs import checkpoint_run, checkpoint_seconds, images_seen, last_metrics, load_run, trainer_model
    from zoo.utils.hardware import describe
    from zoo.utils.io import read_json

    checkpoint = None
    if checkpoint_run(run_dir) is not None:  # one checkpoint of a run (kept with --keep-checkpoints 0)
        run_dir, checkpoint = checkpoint_run(run_dir), run_dir
    recipe, cfg, trainer = load_run(run_dir, checkpoint)
    model = trainer_model(trainer, part)
    record = read_json(os.path.join(run_dir, "command.json")) \
        if os.path.isfile(os.path.join(run_dir, "command.json")) else {}
    command = record.get("argv", [])
    # the machine the run trained on (runs from before command.json recorded it: the one packaging it)
    machines = [record.get("hardware")] + [r.get("hardware") for r in record.get("resumed_with", [])]
    machines = [h for h in dict.fromkeys(machines) if h]
    hardware = " + ".join(machines) or f"{describe()['summary']} (the machine that packaged the run)"
    status = read_json(os.path.join(run_dir, "status.json")) if os.path.isfile(
        os.path.join(run_dir, "status.json")) else {}
    data = getattr(cfg, "data", "unknown")
    meta = {
        "dataset": data,
        "resolution": getattr(model, "image_size", None) or getattr(cfg, "image_size", None),
        "run_model": dict(model.run_info),  # which network: part, step (progressive: EMA weights, level, alpha)
        "training_command": " ".join(command),
        # each --resume's own flags (a raised budget, a changed schedule), in order
        "resumed_with": [" ".join(r.get("argv", [])) for r in record.get("resumed_with", [])],
        "recipe": recipe.NAME,
        "steps_trained": trainer.completed_steps(),
        "images_seen": images_seen(trainer, cfg),
        "licence": LICENCES.get(data, "see the dataset's licence"),
        "hardware": hardware,
        "config": {k: v for k, v in vars(cfg).items()},
        **(extra or {}),
    }
    if os.path.isfile(os.path.join(run_dir, "split.json")):  # trained on a split's train part: which faces are unseen
        meta["split"] = {**read_json(os.path.join(run_dir, "split.json")), "trained_on": "train"}
    if decoder is not None:  # an encoder preset names the decoder preset it belongs to (zoo.latent check_pair)
        from zoo.registry import PRESET_DIR, load_preset_metadata

        digest = load_preset_metadata(decoder)["weights_sha256"]
        if os.path.isdir(decoder) and os.path.realpath(os.path.dirname(os.path.abspath(decoder))) == \
                os.path.realpath(PRESET_DIR):
            decoder = os.path.basename(os.path.normpath(decoder))  # a built-in preset: its name, not a repo path
        meta["decoder"], meta["decoder_weights_sha256"] = decoder, digest
    if checkpoint is None:
        meta.update({"metrics": {"final_logged": last_metrics(run_dir)}, "run_status": status.get("status"),
                     "stopped_by": status.get("reason"),  # "steps" or "time budget"
                     "train_seconds": status.get("train_seconds")})  # training wall-clock, summed over resumes
    else:  # an earlier checkpoint: what the run had logged and trained by then, not its end
        step = trainer.completed_steps()
        meta.update({"checkpoint": os.path.basename(os.path.normpath(checkpoint)),
                     "metrics": {"logged_at_checkpoint": last_metrics(run_dir, step)},
                     "run_status": f"checkpoint at step {step} of a run that went on to {status.get('step')}",
                     "train_seconds": checkpoint_seconds(checkpoint)})
    carried = os.path.join(out, "discriminator")
    if with_discriminator:
        discriminator = getattr(trainer, "discriminator", None)
        if discriminator is None:
            raise ValueError(f"--with-discriminator: the trainer of {run_dir} ({type(trainer).__name__}) has no "
                             f"discriminator")
        sub = {k: meta[k] for k in ("dataset", "resolution", "recipe", "steps_trained", "licence", "config")}
        sub["run_model"] = {"part": "discriminator", "step": trainer.completed_steps()}
        sub = _save_checked(discriminator, carried, sub, weights_dtype, max_storage_difference, "the discriminator")
        meta["discriminator"] = {k: sub[k] for k in ("class_name", "weights_dtype", "weights_sha256", "parameters")}
    elif os.path.isdir(carried):  # rewriting a preset that carried one: it would belong to other weights
        shutil.rmtree(carried)
    _save_checked(model, out, meta, weights_dtype, max_storage_difference, part or "the model")
    return out


def _save_checked(model, out: str, meta: dict, weights_dtype: str, max_storage_difference: float, what: str) -> dict:
    """``save_to_preset`` with the float16 rule: the outputs of the reloaded float16 weights on 8 seeded inputs may
    differ from the model's by at most ``max_storage_difference``, else float32 is stored (said on stderr, the
    request recorded). Returns the metadata written."""
    import numpy as np

    from zoo.registry import _load_preset, save_to_preset

    save_to_preset(model, out, meta, weights_dtype=weights_dtype)
    if weights_dtype != "float32":  # record what float16 storage costs in output accuracy
        reloaded = _load_preset(out, check_pins=False)
        shape = model.get_build_config()["input_shape"][1:]
        x = np.random.default_rng(0).standard_normal((8, *shape)).astype("float32")
        kwargs = dict(getattr(model, "export_call_kwargs", None) or {})  # StyleGAN: its fixed noise, not fresh
        diff = float(np.max(np.abs(np.asarray(model(x, **kwargs)) - np.asarray(reloaded(x, **kwargs)))))
        meta["storage_max_abs_output_difference"] = diff
        if diff > max_storage_difference:  # e.g. a young StyleGAN's constant: float16 cannot hold its small deviations
            print(f"float16 storage would change {what}'s outputs by up to {diff:.3g} (more than "
                  f"{max_storage_difference:g}): storing float32 weights instead", file=sys.stderr)
            meta["weights_dtype_requested"], weights_dtype = "float16", "float32"
        save_to_preset(model, out, meta, weights_dtype=weights_dtype)
    from zoo.registry import load_preset_metadata

    return load_preset_metadata(out)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m zoo.make_preset", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run_dir")
    p.add_argument("--part", default=None, help="trainer attribute to save (default: generator, else decoder; a "
                                                "progressive run's generator is its EMA generator)")
    p.add_argument("--out", required=True, help="preset folder to write")
    p.add_argument("--weights-dtype", choices=("float32", "float16"), default="float32")
    p.add_argument("--with-discriminator", action="store_true",
                   help="also write the run's discriminator into OUT/discriminator, for fine-tuning with --init-from")
    p.add_argument("--note", default=None, help="a sentence for the metadata's \"note\" (budget, schedule changes)")
    p.add_argument("--decoder", default=None, help="for an encoder part: the decoder preset it belongs to (recorded, "
                                                   "so that zoo.latent refuses it with another decoder)")
    args = p.parse_args(argv)
    from zoo.registry import PresetError
    from zoo.training.checkpoint import CheckpointError

    try:
        print(make_preset(args.run_dir, args.part, args.out, args.weights_dtype,
                          extra={"note": args.note} if args.note else None, decoder=args.decoder,
                          with_discriminator=args.with_discriminator))
    except (ValueError, OSError, CheckpointError, PresetError) as e:
        print(f"python -m zoo.make_preset: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
