"""Latent control: PCA directions, attribute vectors, interpolation, restoration and real-photo editing over any
zoo generator, decoder, encoder or StyleGAN (``python -m zoo.latent <command>``). Nothing heavy on import."""


def __getattr__(name):
    if name in ("directions_of", "load_directions", "DirectionSet"):
        from zoo.latent import directions

        return getattr(directions, name)
    raise AttributeError(f"module 'zoo.latent' has no attribute {name!r}")


__all__ = ["DirectionSet", "directions_of", "load_directions"]
