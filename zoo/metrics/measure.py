"""One pass over a stream of uint8 image batches: features -> streaming statistics (and, on request, the
features themselves for KID, class probabilities for the Inception Score, per-image Laplacian variance)."""

from __future__ import annotations

import dataclasses

import numpy as np

from zoo.metrics.fid import FeatureStatistics


@dataclasses.dataclass
class Measures:
    count: int = 0
    statistics: FeatureStatistics | None = None
    features: np.ndarray | None = None  # [N, D] float32, when kept
    probabilities: np.ndarray | None = None  # [N, K], when the extractor has predictions and they were asked for
    sharpness: np.ndarray | None = None  # [N] Laplacian variance


def measure_images(batches, extractor=None, *, keep_features: bool = False, predictions: bool = False,
                   sharpness: bool = False, total: int | None = None, progress: bool = True,
                   description: str = "") -> Measures:
    """Run ``extractor`` over ``batches`` (an iterable of uint8 [B, H, W, C]) once.

    ``total`` is the number of images expected (for the progress bar). Memory is O(D^2) unless
    ``keep_features`` (O(N D) float32, for KID).
    """
    from tqdm.auto import tqdm

    from zoo.metrics.inception_score import as_probabilities
    from zoo.metrics.sharpness import laplacian_variance

    if predictions and (extractor is None or not extractor.has_predictions):
        name = extractor.name if extractor is not None else "none"
        raise ValueError(f"the Inception Score needs class predictions; extractor {name} has none (use the "
                         f"InceptionV3 weights file with its top layers)")
    out = Measures(statistics=FeatureStatistics() if extractor is not None else None)
    kept, probs, sharp = [], [], []
    bar = tqdm(total=total, unit="img", desc=description or "images", disable=not progress, leave=False)
    try:
        for batch in batches:
            n = int(batch.shape[0])
            if extractor is not None:
                result = extractor(batch)
                feats = result[0] if extractor.has_predictions else result
                out.statistics.update(feats)
                if keep_features:
                    kept.append(np.asarray(feats, np.float32))
                if predictions:
                    probs.append(as_probabilities(result[1]))
            if sharpness:
                sharp.append(laplacian_variance(batch).numpy())
            out.count += n
            bar.update(n)
    finally:
        bar.close()
    if out.count == 0:  # every file failed to decode (or the stream was empty): bad input, exit 2 in the CLIs
        from zoo.data.errors import DataError

        raise DataError(f"{description or 'image set'}: no image was read (every file failed to decode, or the "
                        f"set is empty)")
    out.features = np.concatenate(kept) if kept else None
    out.probabilities = np.concatenate(probs) if probs else None
    out.sharpness = np.concatenate(sharp) if sharp else None
    return out


def reference_statistics(image_set, extractor, n: int, *, resolution: int | None = None, channels: int | None = None,
                         batch_size: int = 50, cache_path: str | None = None, need_features: bool = False,
                         progress: bool = True):
    """``(statistics, features or None, reused)`` of ``image_set`` (a ``zoo.metrics.image_sets.ImageSet``) in
    ``extractor``'s features: from ``cache_path`` when its protocol matches, else computed (and cached)."""
    from zoo.metrics.fid import cached_statistics
    from zoo.metrics.image_sets import subset_protocol

    resolution = resolution or image_set.resolution
    channels = channels or image_set.channels
    count = image_set.size_for(n)
    protocol = {**extractor.protocol, "resolution": resolution, "channels": channels, "set": image_set.info,
                **subset_protocol(count)}

    def compute():
        m = measure_images(image_set.batches(n, batch_size, 0, resolution, channels), extractor,
                           keep_features=need_features, total=count, progress=progress,
                           description=f"reference {image_set.label}")
        return m.statistics, m.features

    return cached_statistics(cache_path, protocol, compute, need_features)
