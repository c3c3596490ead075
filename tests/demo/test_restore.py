import numpy as np
import pytest

from demo import core
from demo.tabs import restore


def test_restoration_row_and_scores_against_the_original(vae_presets):
    enc, dec = vae_presets
    face = np.random.default_rng(1).integers(0, 255, (32, 32, 3), dtype=np.uint8)
    row, scores = restore.restore(face, dec, enc, "erase", blocks=1, block_size=0.5, align=False)
    assert row.shape == (20, 4 * 18 + 2, 3)
    assert set(scores) == {"damaged", "mean filter", "VAE"}
    clean = core.to_model_input(face, 16, 3)
    damaged = (row[2:18, 20:36].astype(np.float32) / 127.5 - 1)[None]
    # the damaged cell is the original with an erased (mid-grey) square of half the side
    assert np.isclose(damaged, 0.0, atol=1 / 127.5).all(axis=-1).sum() >= 8 * 8
    mse = np.mean(((clean + 1) / 2 - (damaged + 1) / 2) ** 2)
    assert scores["damaged"]["psnr"] == pytest.approx(10 * np.log10(1 / mse), abs=0.3)
    assert all(np.isfinite(s["psnr"]) and -1 <= s["ssim"] <= 1 for s in scores.values())
    text = restore.table(scores)
    assert "| VAE |" in text and "| mean filter |" in text
    noisy_row, noisy = restore.restore(face, dec, enc, "noise", noise_std=0.4, align=False)
    assert noisy["damaged"]["psnr"] < 20  # std 0.4 on [-1, 1] is 0.2 on [0, 1]: PSNR about 14 dB
    with pytest.raises(core.DemoError, match="needs a VAE"):
        restore.restore(face, dec, "")
    with pytest.raises(core.DemoError, match="noise std must be from 0 to 1"):
        restore.restore(face, dec, enc, "noise", noise_std=3)
