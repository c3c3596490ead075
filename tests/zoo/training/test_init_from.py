"""The plain rules of --init-from (zoo.training.init_from): which architectures match, which flags name a difference,
what --resume and --init-from-sha256 refuse, and which variables take the preset's weights."""

import numpy as np
import pytest

from recipes import celeba_dcgan, celeba_gan
from zoo.training.init_from import (architecture_mismatch, check_init_from, copy_preset_weights, resume_conflict)


def _dcgan(**kw):
    from zoo.models.dcgan import DCGANGenerator

    args = {"latent_dim": 8, "image_size": 8, "base_filters": 4, **kw}
    g = DCGANGenerator(args["latent_dim"], args["image_size"], 3, args["base_filters"])
    g.build((None, args["latent_dim"]))
    return g


def test_the_same_network_matches_whatever_its_name_and_dtype():
    from zoo.models.dcgan import DCGANGenerator

    other = DCGANGenerator(8, 8, 3, 4, name="generator", dtype="mixed_bfloat16")
    assert architecture_mismatch(_dcgan(), other, "generator", celeba_dcgan.Config(), "p") is None


def test_a_mismatch_names_every_differing_argument_with_both_values_and_its_flag():
    text = architecture_mismatch(_dcgan(image_size=16, latent_dim=4), _dcgan(), "generator", celeba_dcgan.Config(),
                                 "tiny")
    assert text.startswith("--init-from tiny: the preset's generator (DCGANGenerator)")
    assert "image_size 16 in the preset but 8 in this run (--image-size)" in text
    assert "latent_dim 4 in the preset but 8 in this run (--latent-dim)" in text and "base_filters" not in text


def test_the_upsample_conv_gans_filters_are_named_by_their_own_flags():
    from zoo.models.gan import UpsampleConvDiscriminator, UpsampleConvGenerator

    cfg = celeba_gan.Config()
    g = architecture_mismatch(UpsampleConvGenerator(8, 16, 3, 8), UpsampleConvGenerator(8, 16, 3, 4), "generator",
                              cfg, "p")
    assert "base_filters 8 in the preset but 4 in this run (--g-filters)" in g
    d = architecture_mismatch(UpsampleConvDiscriminator(16, 3, 8), UpsampleConvDiscriminator(16, 3, 4),
                              "discriminator", cfg, "p")
    assert "(--d-filters)" in d


def test_another_class_is_a_mismatch_that_says_which():
    from zoo.models.dcgan import DCGANDiscriminator
    from zoo.models.wgan_gp import LayerNormCritic

    text = architecture_mismatch(DCGANDiscriminator(8, 3, 4), LayerNormCritic(8, 3, 4), "discriminator",
                                 celeba_dcgan.Config(), "p")
    assert "is a DCGANDiscriminator but this recipe trains a LayerNormCritic" in text
    assert "without --with-discriminator" in text


def test_resume_refuses_either_flag_and_nothing_else():
    assert resume_conflict({"steps", "ema_kimg"}) is None
    assert resume_conflict({"init_from"}).startswith("--init-from with --resume")
    assert resume_conflict({"init_from_sha256"}).startswith("--init-from-sha256 with --resume")


def test_a_sha256_without_a_preset_or_of_another_shape_is_refused():
    check_init_from(celeba_dcgan.Config(init_from="p", init_from_sha256="a" * 64))
    check_init_from(celeba_dcgan.Config())
    with pytest.raises(ValueError, match="--init-from-sha256 .*--init-from, which is not given"):
        check_init_from(celeba_dcgan.Config(init_from_sha256="a" * 64))
    with pytest.raises(ValueError, match="64 lowercase hexadecimal"):
        check_init_from(celeba_dcgan.Config(init_from="p", init_from_sha256="abc"))


@pytest.mark.parametrize("ema", [0.0, 0.004], ids=["no_ema", "ema"])
def test_copy_sets_generator_ema_and_discriminator_and_leaves_a_fresh_one_alone(ema):
    trainer = celeba_dcgan.build(celeba_dcgan.Config(image_size=8, latent_dim=8, base_filters=4, ema_kimg=ema,
                                                     jit_compile=False))
    trainer.build_all()
    source = celeba_dcgan.build(celeba_dcgan.Config(image_size=8, latent_dim=8, base_filters=4, seed=7,
                                                    jit_compile=False))
    source.build_all()
    before = [np.array(w) for w in trainer.discriminator.get_weights()]
    copy_preset_weights(trainer, source.generator)
    for a, b in zip(trainer.generator.get_weights(), source.generator.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert len(trainer.ema_weights) == (len(trainer.generator.trainable_variables) if ema else 0)
    for e, w in zip(trainer.ema_weights, source.generator.trainable_variables):
        np.testing.assert_array_equal(np.asarray(e), np.asarray(w))
    for a, b in zip(trainer.discriminator.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    copy_preset_weights(trainer, source.generator, source.discriminator)
    for a, b in zip(trainer.discriminator.get_weights(), source.discriminator.get_weights()):
        np.testing.assert_array_equal(a, b)
