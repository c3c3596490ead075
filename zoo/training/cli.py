"""A command line generated from a frozen dataclass config.

Every field becomes ``--field-name`` (bools get ``--x/--no-x``, tuples take comma-separated values, ``Literal``
fields their choices); unknown flags are an error. Three flags belong to the run, not the config:
``--resume [RUN_DIR]`` (default: the newest run of this recipe under ``--out``), ``--dry-run`` (print the
resolved config and exit) and ``--verbose``.

Each option's help is the field's ``metadata["help"]`` or else its comment in the Config's source: the trailing
``# comment`` of its ``name: type = default`` line, or the comment lines right above it; a field re-declared in a
subclass takes the subclass's comment, falling back to the base's. A field whose default is ``None`` says what
``None`` means with a final ``; default <text>`` clause (``<field>`` in it names another field's value).

Parsed values are checked by ``validate_config`` before anything imports TensorFlow: a value out of its field's
range (``LIMITS``), a non-finite float, a synthetic set that cannot fit, or a recipe's own rule (its Config's
``validate()``) ends the process with one sentence and exit code 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import io
import json
import math
import os
import re
import textwrap
import tokenize
import typing

from zoo.augment.options import AugmentOptions, check_augment_options
from zoo.training.init_from import InitFromOptions, check_init_from, resume_conflict
from zoo.utils.arguments import EXIT_BAD_INPUT, Parser

_RUN_FLAGS = ("resume", "dry_run", "verbose")


@dataclasses.dataclass(frozen=True)
class RunOptions:
    """The fields every recipe's ``Config`` shares, none of them part of a paper's setup: seed, synthetic-set size,
    background variant of the training images, XLA, how often to checkpoint and log, sample-grid size and the
    output folder. A recipe's ``Config`` subclasses it (and may re-declare a field to change its default); on the
    command line, in ``--dry-run`` and in config.json the recipe's own fields come first."""

    seed: int = 0  # seeds the weights, data order and sampling: a run is reproducible from its config
    num_synthetic: int = 10_000  # images of the built-in synthetic face set (--data synthetic)
    background: typing.Literal["raw", "grey", "blur"] = "raw"  # grey/blur: person kept, background replaced
    # all: every image (the papers' setup); train: only the train part of the seeded 70/20/10 split (split seed 0,
    # the classifier presets' split), so its validation and test faces stay unseen (recorded in split.json)
    train_on: typing.Literal["all", "train"] = "all"
    # keep only N images of the training set (after --train-on): a seeded draw (seed 0, whatever --seed is, so runs
    # that differ in one flag train on the same N faces), for data-efficiency studies; 0 = all of them
    train_images: int = 0
    mask_dir: str | None = None  # masks for grey/blur (python -m zoo.data.remove_background); default <data_dir>_rembg
    jit_compile: bool = False  # XLA-compile the train step (measured 2-3x slower on CPU: bench/precision.py)
    # compute dtype of the models (variables, losses and penalties stay float32; loss scaling for float16 only);
    # auto: mixed_bfloat16 on a CPU with AMX, mixed_float16 on a GPU of compute capability >= 7.0, else float32
    precision: typing.Literal["float32", "mixed_bfloat16", "mixed_float16", "auto"] = "float32"
    checkpoint_every: int = 500  # steps between checkpoints (one is also written at each epoch end; 0 = epoch ends only)
    # newest checkpoints kept; 0 = all of them, for a run's distance curve (python -m zoo.metrics.curve)
    keep_checkpoints: int = 2
    log_every: int = 10  # steps between rows of logs/metrics.csv
    num_samples: int = 64  # images in the sample grids
    out: str = "runs"  # parent folder of the numbered run folders


@dataclasses.dataclass(frozen=True)
class GeneratorEMAOptions:
    """The field of the GAN recipes' Configs (DCGAN, the upsample-conv GAN family, WGAN-GP) for an EMA of the
    generator's weights (``zoo.trainers.ema``). Default 0, none: the papers' setups keep no EMA. Whether it is 0
    decides the variables a run's checkpoints hold, so ``--resume`` refuses to switch it on or off."""

    # EMA of the generator's weights for samples, evaluation, presets and export: its half-life in thousands of
    # images (StyleGAN's G_smoothing_kimg: beta = 0.5 ** (batch / (1000 ema_kimg)) per generator step); 0 = no EMA,
    # the paper's setup
    ema_kimg: float = 0.0


_RUN_OPTIONS = {f.name for f in dataclasses.fields(RunOptions)}
_SHARED_GAN_OPTIONS = {f.name for c in (AugmentOptions, GeneratorEMAOptions, InitFromOptions)
                       for f in dataclasses.fields(c)}


def holds_out(cfg) -> bool:
    """Whether a run keeps the presets' split's validation and test faces unseen (``--train-on train``): then its
    curves measure on the validation part and its reported figures on the test part. CelebA has its own split."""
    return getattr(cfg, "train_on", "all") == "train" and cfg.data != "celeba"


def ordered_fields(config_cls) -> list:
    """The dataclass fields of ``config_cls``: its own, then the GAN recipes' shared ``AugmentOptions``,
    ``GeneratorEMAOptions`` and ``InitFromOptions``, then the shared ``RunOptions`` last."""
    return sorted(dataclasses.fields(config_cls),
                  key=lambda f: 2 if f.name in _RUN_OPTIONS else 1 if f.name in _SHARED_GAN_OPTIONS else 0)


def config_dict(cfg) -> dict:
    """``dataclasses.asdict(cfg)`` in ``ordered_fields`` order (for config.json and ``--dry-run``)."""
    values = dataclasses.asdict(cfg)
    return {f.name: values[f.name] for f in ordered_fields(type(cfg))}


def _parse_tuple(text: str, item_type):
    return tuple(item_type(v) for v in text.split(",") if v.strip())


def _field_kwargs(field, hint):
    origin = typing.get_origin(hint)
    if hint is bool:
        return {"action": argparse.BooleanOptionalAction}
    if origin is typing.Literal:
        choices = typing.get_args(hint)
        return {"choices": choices, "type": type(choices[0])}
    if origin is tuple:
        item = typing.get_args(hint)[0]
        return {"type": lambda s, item=item: _parse_tuple(s, item), "metavar": f"{item.__name__},..."}
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return {"type": args[0]}
    return {"type": hint}


def _class_comments(cls) -> dict:
    """``{field: comment}`` from the body of ``cls``'s source (not its bases'), read with ``tokenize`` so that a
    ``#`` inside a string default is not taken for a comment."""
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):  # defined in an interactive session: no source to read
        return {}
    comments, above, depth, line = {}, [], 0, []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.INDENT:
            depth += 1
        elif tok.type == tokenize.DEDENT:
            depth -= 1
        elif tok.type == tokenize.COMMENT:
            (line if line else above).append(tok.string.lstrip("#").strip())
        elif tok.type == tokenize.NL and not line:
            if not tok.line.strip():  # a blank line ends a comment block above a field
                above = []
        elif tok.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
            code = [t for t in line if isinstance(t, tokenize.TokenInfo)]
            if depth == 1 and len(code) > 1 and code[0].type == tokenize.NAME and code[1].string == ":":
                trailing = " ".join(t for t in line if isinstance(t, str))
                comments[code[0].string] = trailing or " ".join(above)
            line, above = [], []
        elif tok.type not in (tokenize.NL, tokenize.ENCODING):
            line.append(tok)
    return comments


def field_comments(config_cls) -> dict:
    """``{field: comment}`` for ``config_cls`` and its dataclass bases; a subclass's comment wins over its base's."""
    comments: dict = {}
    for cls in reversed(config_cls.__mro__):
        if dataclasses.is_dataclass(cls):
            comments.update({k: v for k, v in _class_comments(cls).items() if v})
    return comments


_DEFAULT_CLAUSE = re.compile(r"(?:^|;\s*)default:?\s+(?P<text>.+)$")


def _show(value) -> str:
    """A default as it would be typed on the command line."""
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return '""' if value == "" else str(value)


def field_help(config_cls) -> dict:
    """``{field: help}``: description then ``(default: ...)``, as ``--help`` shows it (``%`` not yet escaped)."""
    comments = field_comments(config_cls)
    fields = dataclasses.fields(config_cls)
    defaults = {f.name: f.default for f in fields}
    helps = {}
    for field in fields:
        text = field.metadata.get("help") or comments.get(field.name, "")
        default = _show(field.default)
        clause = _DEFAULT_CLAUSE.search(text)
        if clause and field.default is None:
            text, default = text[: clause.start()].rstrip(" ;,"), clause["text"]
            used = [k for k in dict.fromkeys(re.findall(r"<(\w+)>", default))
                    if defaults.get(k) not in (None, dataclasses.MISSING)]
            for k in used:
                default = default.replace(f"<{k}>", _show(defaults[k]))
            if used:
                default += ", for " + " ".join(f"--{k.replace('_', '-')} {_show(defaults[k])}" for k in used)
        helps[field.name] = f"{text} (default: {default})".strip()
    return helps


def build_parser(config_cls, prog: str, description: str = "") -> argparse.ArgumentParser:
    parser = Parser(prog=prog, description=description or config_cls.__doc__, argument_default=argparse.SUPPRESS)
    hints = typing.get_type_hints(config_cls)
    helps = field_help(config_cls)
    for field in ordered_fields(config_cls):
        flag = "--" + field.name.replace("_", "-")
        parser.add_argument(flag, dest=field.name, help=helps[field.name].replace("%", "%%"),
                            **_field_kwargs(field, hints[field.name]))
    parser.add_argument("--resume", nargs="?", const="latest", metavar="RUN_DIR",
                        help="continue a run from its last checkpoint (default: newest run of this recipe in --out)")
    parser.add_argument("--dry-run", action="store_true", help="print the resolved config and exit")
    parser.add_argument("--verbose", action="store_true", help="show TensorFlow's own log messages")
    return parser


def parse_config(config_cls, argv, prog: str, base: dict | None = None):
    """Parse ``argv`` into ``(config, run_flags, passed)``, checked by ``validate_config``.

    ``base`` (a stored config.json when resuming) replaces the defaults; flags given on the command line
    override it. ``passed`` is the set of config fields given explicitly. A bad value ends the process like a
    bad flag: ``<prog>: error: <sentence>`` on stderr and exit code 2.
    """
    parser = build_parser(config_cls, prog)
    ns = vars(parser.parse_args(argv))
    run = {k: ns.pop(k, None) for k in _RUN_FLAGS}
    if run["resume"] and resume_conflict(set(ns)):  # --init-from with --resume: a resume never re-reads a preset
        parser.exit(EXIT_BAD_INPUT, f"{prog}: error: {resume_conflict(set(ns))}\n")
    cfg = config_from_dict(config_cls, {**(base or {}), **ns})
    try:
        validate_config(cfg)
    except ValueError as e:
        parser.exit(EXIT_BAD_INPUT, f"{prog}: error: {e}\n")
    return cfg, run, set(ns)


def config_from_dict(config_cls, values: dict):
    """Build ``config_cls`` from a dict (e.g. a loaded config.json), with list values turned back into tuples."""
    names = {f.name for f in dataclasses.fields(config_cls)}
    unknown = set(values) - names
    if unknown:
        raise ValueError(f"{config_cls.__name__} has no fields {sorted(unknown)}")
    hints = typing.get_type_hints(config_cls)
    fixed = {k: tuple(v) if typing.get_origin(hints[k]) is tuple and isinstance(v, list) else v
             for k, v in values.items()}
    return config_cls(**fixed)


def config_to_json(cfg) -> str:
    return json.dumps(config_dict(cfg), indent=2)


# -- checking a config's values, before anything imports TensorFlow ------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Limit:
    """The values a number field (or each item of a tuple field) accepts: ``low`` to ``high``, each end included
    unless ``above`` / ``below`` exclude it."""

    low: float | None = None
    high: float | None = None
    above: bool = False
    below: bool = False

    def accepts(self, value) -> bool:
        return not ((self.low is not None and (value <= self.low if self.above else value < self.low))
                    or (self.high is not None and (value >= self.high if self.below else value > self.high)))

    def __str__(self) -> str:
        low = None if self.low is None else f"{'above' if self.above else 'at least'} {_show(self.low)}"
        high = None if self.high is None else f"{'below' if self.below else 'at most'} {_show(self.high)}"
        return " and ".join(t for t in (low, high) if t)


_POSITIVE_INT, _POSITIVE = Limit(1), Limit(0, above=True)
_NON_NEGATIVE, _FRACTION, _DECAY = Limit(0), Limit(0, 1), Limit(0, 1, below=True)
_SEED = Limit(0, 2**32 - 1)  # numpy's and keras.utils.set_random_seed's range
_SIDE = Limit(4, 1024)  # image sides, pixels: the smallest any model takes, the largest any paper trained
# Accepted values by field name (a field's metadata["limit"] wins). A field's own default is always accepted: that
# keeps a documented sentinel valid (0 = "auto" for n_critic and the progressive batch_size, -1 = --seed for
# split_seed). Every float, named here or not, must also be finite.
LIMITS = {
    "seed": _SEED, "split_seed": _SEED, "image_size": _SIDE, "resolutions": _SIDE, "num_synthetic": _POSITIVE_INT,
    "batch_size": _POSITIVE_INT, "batch_sizes": _POSITIVE_INT, "latent_dim": _POSITIVE_INT, "w_dim": _POSITIVE_INT,
    "base_filters": _POSITIVE_INT, "g_filters": _POSITIVE_INT, "d_filters": _POSITIVE_INT, "filters": _POSITIVE_INT,
    "dense_units": _POSITIVE_INT, "d_dense_units": _POSITIVE_INT, "fmap_base": _POSITIVE_INT,
    "fmap_max": _POSITIVE_INT, "mapping_layers": _POSITIVE_INT, "mbstd_group_size": _POSITIVE_INT,
    "blur_filter": _POSITIVE_INT, "channels": Limit(1, 3), "epochs": _POSITIVE_INT, "steps": _NON_NEGATIVE,
    "epoch_steps": _POSITIVE_INT, "images": _POSITIVE_INT, "images_per_level": _POSITIVE_INT,
    "eval_every": _POSITIVE_INT, "eval_images": _POSITIVE_INT, "eval_every_kimg": _NON_NEGATIVE, "pca_images": _POSITIVE_INT,
    "num_reconstructions": _POSITIVE_INT, "n_critic": _POSITIVE_INT, "truncation_cutoff": _NON_NEGATIVE,
    "checkpoint_every": _NON_NEGATIVE, "keep_checkpoints": _NON_NEGATIVE, "train_images": _NON_NEGATIVE, "log_every": _POSITIVE_INT,
    "num_samples": Limit(1, 1024), "time_budget": _NON_NEGATIVE,
    "learning_rate": _POSITIVE, "adam_epsilon": _POSITIVE, "d_batch_norm_epsilon": _POSITIVE,
    "clip_value": _POSITIVE, "lr_denominator": _POSITIVE,
    "mapping_lr_multiplier": _POSITIVE, "beta_1": _DECAY, "beta_2": _DECAY, "ema_decay": _FRACTION,
    "bn_momentum": _DECAY, "dropout": _DECAY, "fade_fraction": _FRACTION, "style_mixing_prob": _FRACTION,
    "shift": _DECAY, "split": _FRACTION, "gp_weight": _NON_NEGATIVE, "drift_weight": _NON_NEGATIVE,
    "r1_gamma": _NON_NEGATIVE, "l2_weight": _NON_NEGATIVE, "recon_weight": _NON_NEGATIVE,
    "feature_weight": _NON_NEGATIVE, "beta": _NON_NEGATIVE, "gamma": _NON_NEGATIVE, "gan_margin": _NON_NEGATIVE,
    "ema_kimg": _NON_NEGATIVE, "lr_sigmoid_slope": _NON_NEGATIVE, "ada_target": Limit(-1, 1), "ada_kimg": _POSITIVE,
    "widths": _POSITIVE_INT, "block_depth": _POSITIVE_INT, "embedding_dims": Limit(2),
    "embedding_max_frequency": _POSITIVE, "weight_decay": _NON_NEGATIVE, "ema": _DECAY, "sample_steps": _POSITIVE_INT,
    "min_signal_rate": Limit(0, 1, above=True), "max_signal_rate": Limit(0, 1, above=True),
}
_MEMORY_SHARE = 0.5  # of this machine's memory, the most the synthetic set may take


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _check_value(name: str, value, limit: Limit | None) -> None:
    for item in value if isinstance(value, tuple) else (value,):
        each, got = ("each value ", f" (got {_show(item)})") if isinstance(value, tuple) else ("", "")
        if isinstance(item, float) and not math.isfinite(item):
            raise ValueError(f"{_flag(name)} {_show(value)}: {each}must be a finite number{got}")
        if limit is not None and isinstance(item, (int, float)) and not isinstance(item, bool) \
                and not limit.accepts(item):
            raise ValueError(f"{_flag(name)} {_show(value)}: {each}must be {limit}{got}")


def _memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not a POSIX system: no check
        return None


def _check_synthetic_set(cfg) -> None:
    """The rendered set is held in memory (image and mask, uint8): refuse one this machine cannot hold, and a
    batch larger than the whole set (every step would repeat images)."""
    if getattr(cfg, "data", None) != "synthetic" or not hasattr(cfg, "num_synthetic"):
        return
    side = max([getattr(cfg, "image_size", 0), *getattr(cfg, "resolutions", ())])
    need, memory = cfg.num_synthetic * side * side * 4, _memory_bytes()
    if memory and need > _MEMORY_SHARE * memory:
        raise ValueError(f"--num-synthetic {cfg.num_synthetic} at {side} px needs {need / 2**30:.1f} GiB for the "
                         f"rendered set, more than half of this machine's {memory / 2**30:.1f} GiB; use fewer or "
                         f"smaller images")
    check_batch_fits(cfg, cfg.num_synthetic, "the synthetic set (--num-synthetic)", "a larger set")


def check_batch_fits(cfg, images: int, what: str, remedy: str) -> None:
    """Refuse a batch larger than the ``images`` of the training set (every step would repeat images): the
    recipe's ``batch_size``, or the progressive recipes' largest per-level size, cut to the levels trained."""
    batch = getattr(cfg, "batch_size", 0)
    if batch <= 0:
        batch = max(getattr(cfg, "batch_sizes", ())[:len(getattr(cfg, "resolutions", ()))], default=0)
    if batch > images:
        raise ValueError(f"a batch of {batch} images is larger than {what}, {images} images; use a smaller "
                         f"--batch-size or {remedy}")


def validate_config(cfg) -> None:
    """Raise a ValueError naming the flag, the value and what is accepted when a field of ``cfg`` is out of range
    (``LIMITS``, by name; floats must be finite), the synthetic set does not fit or a DiffAugment policy names an
    unknown group (``zoo.augment.options``); then the Config's own
    ``validate()`` for rules of one recipe (e.g. the progressive recipes' resolutions). Imports nothing heavy."""
    for field in dataclasses.fields(cfg):
        value = getattr(cfg, field.name)
        if value == field.default:
            continue
        _check_value(field.name, value, field.metadata.get("limit", LIMITS.get(field.name)))
    _check_synthetic_set(cfg)
    check_augment_options(cfg)
    check_init_from(cfg)
    own = getattr(cfg, "validate", None)
    if callable(own):
        own()
