"""Fine-tuning from a preset, ``--init-from PRESET`` (stylegan2-ada's ``--resume ffhq256``): the one place that
decides what a GAN run takes from a preset, when, and what it refuses.

A NEW run starts with the preset's generator in its generator and in its EMA copy (a preset's generator is the EMA
generator of the run it was made from, where that run kept one), and with the preset's discriminator where the
preset carries one (``python -m zoo.make_preset RUN --with-discriminator``); otherwise the discriminator is fresh,
which is said on stdout and recorded. The preset's networks must be the ones the run's config builds (same class
and constructor arguments: image size, channels, latent size, filters); a mismatch is refused before training.

config.json records the preset (``init_from``) and its ``weights_sha256`` (``init_from_sha256``, filled in when the
weights are taken); the run folder's ``init_from.json`` says what was taken. ``--resume`` restores the run's own
checkpoint and never reads the preset again (only a run killed before its first checkpoint starts from the preset
again, the same preset by its sha256); ``--init-from`` given with ``--resume`` is refused (``zoo.training.cli``).
"""

from __future__ import annotations

import dataclasses
import os
import re

INIT_FROM_FIELDS = ("init_from", "init_from_sha256")
RECORD = "init_from.json"  # in the run folder: what the run took from the preset
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclasses.dataclass(frozen=True)
class InitFromOptions:
    """The fields of the GAN recipes' Configs (DCGAN, the upsample-conv GAN family, WGAN-GP) for fine-tuning."""

    # a preset (built-in name or folder) whose generator, and discriminator if it carries one, a new run starts
    # from (fine-tuning); the run's architecture flags must match the preset's; default: fresh weights, from scratch
    init_from: str | None = None
    # the sha256 of the preset's weights.npz, recorded when the run takes them; given, the preset must have it;
    # default the preset's own
    init_from_sha256: str | None = None


def check_init_from(cfg) -> None:
    """The fields' own rules, checked with the other flags before TensorFlow starts (a ValueError naming the flag)."""
    sha = getattr(cfg, "init_from_sha256", None)
    if sha is None:
        return
    if getattr(cfg, "init_from", None) is None:
        raise ValueError(f"--init-from-sha256 {sha}: it checks the preset of --init-from, which is not given")
    if not _SHA256.fullmatch(sha):
        raise ValueError(f"--init-from-sha256 {sha}: expected 64 lowercase hexadecimal digits (a sha256)")


def resume_conflict(passed: set) -> str | None:
    """The sentence refusing ``--init-from`` (or ``--init-from-sha256``) given with ``--resume``, else None."""
    given = [f for f in INIT_FROM_FIELDS if f in passed]
    if not given:
        return None
    flag = "--" + given[0].replace("_", "-")
    return (f"{flag} with --resume: a resumed run continues from its own checkpoint (config.json keeps the preset it "
            f"started from); start a new run, without --resume, to fine-tune from a preset")


def _flag_of(cfg, part: str, key: str) -> str:
    """The recipe flag that sets a model's constructor argument ``key`` (``--image-size``; the upsample-conv GAN's
    ``base_filters`` are ``--g-filters`` / ``--d-filters``), or "" when no flag does."""
    names = [key, {"generator": "g_", "discriminator": "d_"}[part] + key.removeprefix("base_")]
    field = next((n for n in names if hasattr(cfg, n)), None)
    return f" (--{field.replace('_', '-')})" if field else ""


def architecture_mismatch(preset_model, run_model, part: str, cfg, preset: str) -> str | None:
    """The sentence saying how ``preset_model`` (the preset's ``part``) differs from the ``run_model`` the run's config
    builds: another class, or constructor arguments (``get_config``, without name and dtype) of other values, each
    with both values and the flag that sets it; None when they are the same network."""
    if type(preset_model) is not type(run_model):
        return (f"--init-from {preset}: the preset's {part} is a {type(preset_model).__name__} but this recipe "
                f"trains a {type(run_model).__name__}; pick a preset made by the same recipe"
                + ("" if part == "generator" else ", or one made without --with-discriminator (a fresh one)"))
    ignore = {"name", "trainable", "dtype"}
    a, b = preset_model.get_config(), run_model.get_config()
    keys = [k for k in sorted(set(a) | set(b)) if k not in ignore and a.get(k) != b.get(k)]
    if not keys:
        return None
    diffs = [f"{k} {a.get(k)} in the preset but {b.get(k)} in this run{_flag_of(cfg, part, k)}" for k in keys]
    return (f"--init-from {preset}: the preset's {part} ({type(preset_model).__name__}) is not the one this run's "
            f"config builds: {'; '.join(diffs)}; fine-tuning keeps the architecture, so give the preset's values")


def copy_preset_weights(trainer, generator, discriminator=None) -> None:
    """The preset's ``generator`` weights into ``trainer.generator`` and, where the trainer keeps one, its EMA copy;
    ``discriminator`` (None: left as built, fresh) into ``trainer.discriminator``. All parts built, same networks."""
    trainer.generator.set_weights(generator.get_weights())
    for ema, weight in zip(getattr(trainer, "ema_weights", ()), trainer.generator.trainable_variables):
        ema.assign(weight)
    if discriminator is not None:
        trainer.discriminator.set_weights(discriminator.get_weights())


def start_from_preset(trainer, cfg, run_dir: str) -> dict | None:
    """Give a GAN run's built ``trainer`` the weights of the preset ``cfg.init_from`` when the run has no checkpoint
    yet (a new run); a run with a checkpoint is left to it (``--resume`` never re-reads the preset). Says what it took
    on stdout and writes it to ``run_dir/init_from.json``; returns that record (None: nothing taken). A preset that
    is not this run's architecture, or whose sha256 is not the one config.json recorded, is a PresetError."""
    if getattr(cfg, "init_from", None) is None:
        return None
    from zoo.registry import PresetError, from_preset, preset_part
    from zoo.training.run_dir import has_checkpoint
    from zoo.utils.io import read_json, write_json

    if has_checkpoint(run_dir):
        return None
    generator = from_preset(cfg.init_from)
    sha = generator.preset_metadata["weights_sha256"]
    if cfg.init_from_sha256 is not None and sha != cfg.init_from_sha256:
        raise PresetError(f"--init-from {cfg.init_from}: its weights have sha256 {sha}, not the {cfg.init_from_sha256} "
                          f"this run asks for (--init-from-sha256, or the config.json of a resumed run)")
    discriminator = preset_part(cfg.init_from, "discriminator")
    trainer.build_all()
    for part, model in (("generator", generator), ("discriminator", discriminator)):
        problem = model is not None and architecture_mismatch(model, getattr(trainer, part), part, cfg, cfg.init_from)
        if problem:
            raise PresetError(problem)
    copy_preset_weights(trainer, generator, discriminator)
    ema = bool(getattr(trainer, "ema_weights", ()))
    record = {"preset": cfg.init_from, "weights_sha256": sha, "generator": type(generator).__name__,
              "ema_from_preset": ema,
              "discriminator": "preset" if discriminator is not None else "fresh",
              "discriminator_weights_sha256": None if discriminator is None
              else discriminator.preset_metadata["weights_sha256"],
              "preset_recipe": generator.preset_metadata.get("recipe"),
              "preset_steps_trained": generator.preset_metadata.get("steps_trained")}
    config_path = os.path.join(run_dir, "config.json")
    if os.path.isfile(config_path):  # config.json says which weights the run started from
        write_json(config_path, {**read_json(config_path), "init_from_sha256": sha})
    write_json(os.path.join(run_dir, RECORD), record)
    d_text = ("the discriminator from the preset" if discriminator is not None else
              "a fresh discriminator (the preset carries none: python -m zoo.make_preset RUN --with-discriminator "
              "makes one that does)")
    print(f"init from preset {cfg.init_from} (weights sha256 {sha[:12]}...): the generator"
          f"{' and its EMA copy' if ema else ''} from the preset, {d_text}", flush=True)
    return record
