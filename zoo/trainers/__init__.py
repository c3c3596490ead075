"""Trainers: one keras.Model subclass per training paradigm, each with its own ``train_step``."""

from zoo.trainers.classifier_trainer import ClassifierTrainer
from zoo.trainers.diffusion_trainer import DiffusionTrainer
from zoo.trainers.gan_trainer import GANTrainer
from zoo.trainers.l2_gan_trainer import L2GANTrainer
from zoo.trainers.vae_gan_trainer import VAEGANTrainer
from zoo.trainers.vae_trainer import VAETrainer
from zoo.trainers.wgan_gp_trainer import WGANGPTrainer
from zoo.trainers.wgan_trainer import WGANTrainer

__all__ = ["ClassifierTrainer", "DiffusionTrainer", "GANTrainer", "L2GANTrainer", "VAEGANTrainer", "VAETrainer", "WGANGPTrainer",
           "WGANTrainer"]
