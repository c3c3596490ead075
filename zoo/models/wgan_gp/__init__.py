"""WGAN-GP (Gulrajani et al. 2017): the DCGAN generator against a layer-norm critic."""

from zoo.models.wgan_gp.layer_norm_critic import LayerNormCritic

__all__ = ["LayerNormCritic"]
