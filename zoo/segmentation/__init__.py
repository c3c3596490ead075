"""Foreground (person) segmentation for background removal: rembg sessions, including the offline selfie
segmenter whose weights ship with facezoo (``mediapipe-selfie``, Apache-2.0, see ``weights/NOTICE.md``)."""

from zoo.segmentation.sessions import SHIPPED, is_cached, make_session, mask_iou, resolve_model

__all__ = ["SHIPPED", "is_cached", "make_session", "mask_iou", "resolve_model"]
