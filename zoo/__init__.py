"""facezoo: a Keras 3 model zoo for face generation and analysis.

``zoo.list_presets()`` and ``zoo.from_preset(name)`` are the entry points for pretrained models. Nothing heavy
is imported until it is used.
"""

__version__ = "0.1.0"


def _quiet_command_line() -> None:
    # A facezoo command (python -m zoo.* / recipes.* / export / demo.*) hides TensorFlow's start-up lines unless
    # --verbose or FACEZOO_VERBOSE=1; this installs an import hook only, and only for those commands.
    from zoo.utils.logs import quiet_cli_start

    quiet_cli_start()


_quiet_command_line()


def __getattr__(name):
    if name in ("list_presets", "from_preset", "save_to_preset", "load_preset_metadata"):
        from zoo import registry

        return getattr(registry, name)
    raise AttributeError(f"module 'zoo' has no attribute {name!r}")


__all__ = ["from_preset", "list_presets", "load_preset_metadata", "save_to_preset"]
