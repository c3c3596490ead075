import numpy as np
import pytest

from tests.zoo.trainers._family import compile_gan, gan_parts, images
from zoo.trainers import L2GANTrainer


def test_l2_term_is_lambda_times_sum_of_squared_discriminator_kernels():
    g, d = gan_parts()
    t = compile_gan(L2GANTrainer(g, d, seed=0, l2_weight=0.02))
    kernels = [np.asarray(v) for v in d.trainable_variables if v.path.endswith("/kernel")]
    assert len(kernels) == 6  # 5 convolutions + the dense layer
    expected = 0.02 * sum(float(np.sum(k.astype(np.float64) ** 2)) for k in kernels)
    assert float(t.weight_penalty()) == pytest.approx(expected, rel=1e-5)
    logs = t.train_step(images())  # the logged term is the one taken at the pre-step weights
    assert float(logs["l2"]) == pytest.approx(expected, rel=1e-5)
    assert float(logs["d_loss"]) > expected  # the penalty is part of the discriminator loss
    assert all(np.isfinite(float(v)) for v in logs.values())
