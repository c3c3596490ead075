"""Identity in the latent tools' reports (issue 26): is the face that comes out still the person that went in?

Distances are ``zoo.metrics.identity``'s (dlib's 128-d descriptor, the same person under 0.6). ``project`` and
``edit --image`` report the photo -> projection (or encoding) distance; an edit reports, per intensity, the
distance of each edited face from its unedited one (the decoded latent before the edit: the projection or encoding
of a photo, the seed's face otherwise). Without dlib each report says so in a sentence instead of a number.
"""

from __future__ import annotations

import numpy as np

from zoo.utils.images import to_uint8


def _unavailable():
    from zoo.metrics.identity import unavailable

    reason = unavailable()
    return {"unavailable": f"identity not measured: {reason}"} if reason else None


def photo_identity(photo, image, what: str = "projection") -> dict:
    """``{"distance", "same_person", "threshold", "between"}`` of a photo and the model's ``what`` of it, both
    [1, H, W, C] in [-1, 1]; ``{"unavailable": sentence}`` without dlib."""
    from zoo.metrics.identity import SAME_PERSON, identity_distances

    missing = _unavailable()
    if missing:
        return missing
    d = float(identity_distances(to_uint8(photo), to_uint8(image))[0])
    return {"between": f"photo and {what}", "distance": d, "same_person": d < SAME_PERSON, "threshold": SAME_PERSON}


def edit_identity(unedited, edited, intensities) -> tuple[dict, np.ndarray | None]:
    """``(report, distances [N, T])`` for ``unedited`` faces [N, H, W, C] and their edits ``edited`` [N * T, H, W, C]
    (face-major, as ``edit_response`` returns them) at ``intensities`` [T], images in [-1, 1]. The report holds the
    mean, median and share under 0.6 per intensity; ``({"unavailable": sentence}, None)`` without dlib."""
    from zoo.metrics.identity import SAME_PERSON, identity_distances, summary

    missing = _unavailable()
    if missing:
        return missing, None
    n, t = len(unedited), len(intensities)
    if len(edited) != n * t:
        raise ValueError(f"edit_identity: {len(edited)} edited faces for {n} faces x {t} intensities")
    base = np.repeat(to_uint8(unedited), t, axis=0)
    d = identity_distances(base, to_uint8(edited)).reshape(n, t)
    steps = [summary(d[:, j]) for j in range(t)]
    return {"between": "each face and its unedited image (the decoded latent before the edit)",
            "threshold": SAME_PERSON, "intensities": [float(v) for v in intensities],
            "mean_per_step": [s["mean"] for s in steps], "median_per_step": [s["median"] for s in steps],
            "share_same_person_per_step": [s["share_same_person"] for s in steps], "faces": n,
            "distances": d.tolist()}, d


def caption(report: dict) -> str:
    """A figure-title line for a ``photo_identity`` report."""
    if "unavailable" in report:
        return "identity not measured (no dlib)"
    verdict = "the same person" if report["same_person"] else "another person"
    return (f"identity distance, {report['between']}: {report['distance']:.2f}, {verdict} by dlib (the same below "
            f"{report['threshold']})")
