"""The dataset names the loaders know, outside the zoo.data package so that argument checks import them before
TensorFlow starts (importing zoo.data builds its tf.data pipeline module)."""

DATASETS = ("celeba", "utkface", "ffhq", "synthetic")
