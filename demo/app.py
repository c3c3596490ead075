"""Gradio demo of the zoo's presets: generate, edit, interpolate, restore and analyse faces.

    python -m demo.app [--host 127.0.0.1] [--port 7860] [--share]

``build_demo()`` returns the ``gr.Blocks``; nothing is launched on import. The functions behind the widgets live
in ``demo.tabs.*`` (plain numpy in / numpy out, tested on their own); ``demo.core`` holds what the tabs share.
The page binds to 127.0.0.1 unless ``--host`` says otherwise; ``--share`` (a public Gradio link) is opt-in.
"""

from __future__ import annotations

import argparse
import sys

from demo import core
from demo.core import MAX_UPLOAD_MB, catalogue
from demo.tabs.analyse import analyze
from demo.tabs.generate import generate
from demo.tabs.interpolate import interpolate

__all__ = ["analyze", "build_demo", "generate", "interpolate", "main", "preset_kinds"]

TABS = ("generate", "edit", "interpolate", "restore", "background", "analyse")

INTRO = ("# facezoo\nFaces from the zoo's pretrained generators, edited along their latent directions, and the "
         "face classifiers at work. Models trained on UTKFace are for non-commercial research only.")


def preset_kinds(presets=None) -> dict[str, list[str]]:
    """Presets sorted into ``generators``, ``stylegan``, ``encoders`` and ``classifiers`` (see demo.core)."""
    return catalogue(presets)


class GradioMissingError(ImportError):
    """Gradio is not installed, or a local ``gradio`` folder or file shadows it."""


def import_gradio():
    """The Gradio package, or a GradioMissingError saying what to install or rename."""
    try:
        import gradio as gr
    except ImportError as e:
        raise GradioMissingError('the demo needs Gradio, an optional extra: pip install "facezoo[demo]"') from e
    if not hasattr(gr, "Blocks"):
        where = getattr(gr, "__file__", None) or ", ".join(getattr(gr, "__path__", []))
        raise GradioMissingError(f"the 'gradio' module imported from {where} is not the Gradio package: a local "
                                 f"folder or file named 'gradio' shadows it (run from another folder or rename it), "
                                 f'or Gradio is not installed (pip install "facezoo[demo]")')
    return gr


def build_demo(presets=None):
    """The Gradio app (not launched) over the built-in presets, or over ``presets`` (names or folders)."""
    import importlib

    gr = import_gradio()

    kinds = catalogue(presets)
    with gr.Blocks(title="facezoo", delete_cache=(3600, 3600)) as demo:  # Gradio's file cache: an hour
        gr.Markdown(INTRO)
        with gr.Tabs() as tabs:
            parts = {tab: importlib.import_module(f"demo.tabs.{tab}").build(kinds, demo) for tab in TABS}
        # Generate's "Send to Analyse": the first face into Analyse's upload widget, and that tab opened.
        send = parts["generate"]
        send["send"].click(core.in_page(send_to_analyse), send["send_inputs"], [parts["analyse"]["face"], tabs])
    return demo


def send_to_analyse(preset: str, seed: int = 0, psi: float = 1.0, ddim_steps=None):
    """Generate's first face as Analyse's input (a PNG path), and the update that opens the Analyse tab."""
    import gradio as gr

    from demo.tabs import analyse as analyse_tab, generate as generate_tab

    return generate_tab.send_to_analyse(preset, seed, psi, ddim_steps), gr.Tabs(selected=analyse_tab.TAB_ID)


def warm_up(kinds: dict) -> None:
    """Load every generator preset and answer one 16-face request before serving, so that the first visitor
    does not wait for model loading and TensorFlow's tracing. (ONNX exports wait for a preset's first use, so
    that they do not compete with the first visitors for the CPU.)"""
    import time

    for name in kinds["generators"]:
        t = time.perf_counter()
        generate(name, 0, 16, backend="keras")
        print(f"warm-up: {name} loaded and sampled in {time.perf_counter() - t:.1f} s", flush=True)


def launch(demo, host: str = "127.0.0.1", port: int | None = 7860, share: bool = False, **kwargs):
    """Launch with the demo's limits: one request at a time per event, a queue of 16, uploads up to
    MAX_UPLOAD_MB, errors shown in the page."""
    demo.queue(default_concurrency_limit=1, max_size=16)
    return demo.launch(server_name=host, server_port=port, share=share, max_file_size=f"{MAX_UPLOAD_MB}mb",
                       show_error=True, **kwargs)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m demo.app", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (0.0.0.0 to serve the network)")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--share", action="store_true", help="also open a public *.gradio.live link")
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        demo = build_demo()
    except GradioMissingError as e:
        print(f"python -m demo.app: error: {e}", file=sys.stderr)
        return 2
    warm_up(catalogue())
    launch(demo, args.host, args.port, args.share)
    return 0


if __name__ == "__main__":
    sys.exit(main())
