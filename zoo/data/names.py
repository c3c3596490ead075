"""The dataset names the loaders know, importable without TensorFlow (argument checks run before it starts)."""

DATASETS = ("celeba", "utkface", "ffhq", "synthetic")
