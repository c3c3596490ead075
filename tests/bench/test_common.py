"""bench.common.step_flops: the FLOP counts the step profile compares against, checked by hand on a tiny DCGAN."""

from __future__ import annotations


def test_step_flops_of_a_tiny_dcgan_match_the_hand_count():
    from bench.common import step_flops
    from zoo.models.dcgan import DCGANDiscriminator, DCGANGenerator

    # 8 px, 4 filters, z 8. G: Dense 8 -> 4*4*4 (2*8*64 = 1024), ConvTranspose 4x4 stride 2 from a 4x4x4 input to
    # 3 channels (per input position: 2*4*4*4*3 = 384, x16 = 6144). D: Conv 4x4 stride 2, 8x8x3 -> 4x4x4
    # (per output position 2*4*4*3*4 = 384, x16 = 6144), then the 4x4 valid conv to one logit (2*4*4*4 = 128).
    g, d = DCGANGenerator(8, 8, 3, 4), DCGANDiscriminator(8, 3, 4)
    G, g1, D, d1 = 1024 + 6144, 1024, 6144 + 128, 6144
    flops = step_flops(g, d, 8)
    assert (flops["G"], flops["D"]) == (G, D)
    # textbook: G forward; D forward on real and fake with weight gradients and input gradients past the first
    # layer; the generator's loss back through all of D and through G (no input gradient for z).
    textbook = G + 2 * D + 2 * (2 * D - d1) + D + 2 * G - g1
    assert flops["textbook"] == textbook
    assert flops["trainer"] == textbook + G + D  # the generator update's fresh G and D forward passes
