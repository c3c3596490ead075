"""Augmentation of what a GAN's discriminator sees: DiffAugment (Zhao et al. 2020) and ADA (Karras et al. 2020).

``zoo.augment.options`` (plain Python: the flags and their checks, imported before TensorFlow starts),
``zoo.augment.diffaugment`` and ``zoo.augment.ada`` (TensorFlow ops and the augmenters the trainers call).
"""
