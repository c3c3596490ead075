"""The demo's upload widget: ``gr.Image`` that hands a file Pillow cannot identify (a text file, a PDF) over as it
is, so that ``demo.core.read_upload`` refuses it with a sentence instead of the page showing PIL's
UnidentifiedImageError from Gradio's preprocessing.

A subclass, not a patched instance: Gradio rebuilds a component from its class when an event writes to it (Send to
Analyse does), which would drop an instance's override. Gradio writes a ``.pyi`` stub beside any module defining a
component class; ``upload.pyi`` is committed, so that importing this module writes nothing.
"""

from __future__ import annotations

import gradio as gr
from PIL import UnidentifiedImageError

from gradio.events import Dependency

class UploadImage(gr.Image):
    """``gr.Image`` whose preprocessing passes an unidentifiable file's path through instead of raising."""

    is_template = True  # drawn by gr.Image's front end

    def preprocess(self, payload):
        try:
            return super().preprocess(payload)
        except (UnidentifiedImageError, OSError):
            return str(payload.path)
    from typing import Callable, Literal, Sequence, Any, TYPE_CHECKING
    from gradio.blocks import Block
    if TYPE_CHECKING:
        from gradio.components import Timer
        from gradio.components.base import Component