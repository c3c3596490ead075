"""Direction sets: named latent directions (and a PCA basis) stored beside a model, e.g. in its preset folder.

    directions.npz   arrays, no pickle: "direction/<name>" [D] and "pca/mean", "pca/components", "pca/stds",
                     "pca/explained_variance_ratio"
    directions.json  {"space", "latent_dim", "directions": {name: {how it was found, accuracies, ...}},
                      "pca": {how it was fitted}, "sha256": of directions.npz}

``zoo.latent.directions_of("dcgan_utkface_64")`` loads the set shipped in a preset.
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np

from zoo.latent.models import LatentError
from zoo.latent.pca import LatentPCA
from zoo.utils.io import atomic_path, read_json, sha256_file, write_json

_PCA_FIELDS = ("mean", "components", "stds", "explained_variance_ratio")


@dataclasses.dataclass
class DirectionSet:
    """``directions``: name -> [D] float32; ``info``: name -> dict (method, accuracies, classifier change ...);
    ``pca``: a LatentPCA or None; ``space``: "z", "w" ...; ``meta``: free-form (model, sample count, seed)."""

    space: str
    latent_dim: int
    directions: dict = dataclasses.field(default_factory=dict)
    info: dict = dataclasses.field(default_factory=dict)
    pca: LatentPCA | None = None
    pca_info: dict = dataclasses.field(default_factory=dict)
    meta: dict = dataclasses.field(default_factory=dict)

    def add(self, name: str, direction, **info) -> None:
        d = np.asarray(direction, np.float32).reshape(-1)
        if d.shape[0] != self.latent_dim:
            raise LatentError(f"direction {name!r} has {d.shape[0]} dimensions for a latent of {self.latent_dim}")
        self.directions[name] = d
        self.info[name] = info

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self.directions:
            raise LatentError(f"no direction {name!r}; this set has {sorted(self.directions)}")
        return self.directions[name]

    def save(self, folder: str) -> str:
        os.makedirs(folder, exist_ok=True)
        arrays = {f"direction/{k}": v for k, v in self.directions.items()}
        if self.pca is not None:
            arrays.update({f"pca/{f}": np.asarray(getattr(self.pca, f), np.float32) for f in _PCA_FIELDS})
        path = os.path.join(folder, "directions.npz")
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            np.savez(f, **arrays)
        write_json(os.path.join(folder, "directions.json"), {
            "space": self.space, "latent_dim": self.latent_dim, "directions": self.info, "pca": self.pca_info,
            "meta": self.meta, "sha256": sha256_file(path)})
        return folder


def load_directions(folder: str) -> DirectionSet:
    """The direction set saved in ``folder`` (refused if directions.npz does not match its recorded sha256)."""
    npz, js = os.path.join(folder, "directions.npz"), os.path.join(folder, "directions.json")
    for f in (npz, js):
        if not os.path.isfile(f):
            raise LatentError(f"{folder} has no direction set: {os.path.basename(f)} is missing")
    info = read_json(js)
    if sha256_file(npz) != info.get("sha256"):
        raise LatentError(f"{npz} does not match the sha256 in {js}; the file is corrupt or was changed")
    with np.load(npz, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    pca = None
    if "pca/components" in arrays:
        pca = LatentPCA(*(arrays[f"pca/{f}"].astype(np.float64) for f in _PCA_FIELDS))
    dirs = {k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith("direction/")}
    return DirectionSet(info["space"], int(info["latent_dim"]), dirs, dict(info.get("directions", {})), pca,
                        dict(info.get("pca", {})), dict(info.get("meta", {})))


def directions_of(preset: str, model=None) -> DirectionSet:
    """The direction set shipped in a preset (built-in name or folder). A built-in preset's files must match the
    sha256 pinned in the package's code; with ``model`` (a model or preset) the set must record that model's
    weights (``check_belongs``)."""
    from zoo.preset_pins import verify_builtin
    from zoo.registry import PresetError, resolve_preset

    folder = resolve_preset(preset)
    if not os.path.isfile(os.path.join(folder, "directions.npz")):
        raise LatentError(f"preset {preset!r} ships no direction set (no directions.npz in {folder}); compute one "
                          f"with: python -m zoo.latent directions --model {preset} --out DIR")
    try:
        verify_builtin(folder)
    except PresetError as e:
        raise LatentError(str(e)) from e
    ds = load_directions(folder)
    if model is not None:
        check_belongs(ds, model, f"the direction set of {preset}")
    return ds


def check_belongs(ds: DirectionSet, model, what: str = "the direction set", encoder=None) -> None:
    """Refuse (LatentError) a direction set used with a model (or encoder) other than the one it was computed
    on: it records the sha256 of that model's weights (``zoo.latent.models.fingerprint``). An ONNX model has no
    fingerprint to compare and is let through."""
    from zoo.latent.models import fingerprint

    for key, m, role in (("model_fingerprint", model, "model"), ("encoder_fingerprint", encoder, "encoder")):
        if m is None or (role == "encoder" and not ds.meta.get("encoder")):
            continue
        have = fingerprint(m)
        if have is None:
            continue
        want = ds.meta.get(key)
        if want is None:
            raise LatentError(f"{what} records no fingerprint of the {role} it was computed on, so it cannot be "
                              f"checked against this one; recompute it: python -m zoo.latent directions --model ...")
        if want != have:
            raise LatentError(f"{what} was computed on another {role} ({ds.meta.get(role) or 'unnamed'}, weights "
                              f"sha256 {want[:12]}...), not this one ({have[:12]}...); its directions would give "
                              f"unrelated faces. Use the set made for this {role}, or compute one with "
                              f"python -m zoo.latent directions")


def direction_set(spec: str, model=None, encoder=None) -> DirectionSet:
    """The direction set of ``spec``: a folder holding directions.npz, else a preset's shipped set; refused when
    it was computed on another ``model`` or ``encoder`` than the ones given (``check_belongs``)."""
    ds = load_directions(spec) if os.path.isfile(os.path.join(spec, "directions.npz")) else directions_of(spec)
    if model is not None or encoder is not None:
        check_belongs(ds, model, f"the direction set of {spec}", encoder=encoder)
    return ds
