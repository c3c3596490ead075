import json
import os

from recipes import utkface_vae
from tests.recipes._family import TINY, dry_run, only_run


def test_grid_trains_the_four_models_and_writes_the_comparison(tmp_path):
    out = str(tmp_path / "r")
    assert utkface_vae.main([*TINY, "--grid", "--base-filters", "4", "--dense-units", "8", "--out", out]) == 0
    run = only_run(out, "utkface_vae")
    summary = json.load(open(os.path.join(run, "comparison.json")))
    assert summary["rows"] == ["input", "M(4, 1)", "M(4, 0.01)", "M(256, 1)", "M(256, 0.01)"]
    # Held out: the 10% test split of 16 synthetic faces (2 images), never trained on (14 are).
    assert summary["heldout"]["images"] == 2 and summary["heldout"]["trained_on"] == 14
    for model in summary["models"].values():
        assert model["steps"] == 2
        scores = model["heldout"]
        assert set(scores) == {"psnr", "ssim", "mse"} and scores["psnr"]["mean"] > 0 and 0 < scores["mse"]["mean"] < 1
        assert -1 <= scores["ssim"]["mean"] <= 1
        assert os.path.isfile(os.path.join(model["run_dir"], "reconstructions", "latest.png"))
    assert os.path.isfile(os.path.join(run, "comparison.png"))
    sub = json.load(open(os.path.join(summary["models"]["M(256, 0.01)"]["run_dir"], "status.json")))
    assert sub["status"] == "finished"


def test_dry_run_shows_the_study_defaults(capsys):
    cfg, out = dry_run(utkface_vae.main, ["--latent-dim", "256", "--beta", "0.01"], capsys)
    assert (cfg["image_size"], cfg["channels"], cfg["epochs"], cfg["latent_dim"], cfg["beta"]) == (48, 1, 200, 256,
                                                                                                  0.01)
    _, out = dry_run(utkface_vae.main, ["--grid"], capsys)
    assert "M(4, 1), M(4, 0.01), M(256, 1), M(256, 0.01)" in out
