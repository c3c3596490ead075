"""Gradio demo of the built-in presets: ``python -m demo.app``."""
