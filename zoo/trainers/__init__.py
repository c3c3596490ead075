"""Trainers: one keras.Model subclass per training paradigm, each with its own ``train_step``."""

from zoo.trainers.gan_trainer import GANTrainer

__all__ = ["GANTrainer"]
