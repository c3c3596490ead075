from recipes import celeba_vae
from tests.recipes._family import TINY, assert_run_written, dry_run, only_run


def test_two_steps_write_reconstructions_and_separate_loss_panels(tmp_path):
    out = str(tmp_path / "r")
    assert celeba_vae.main([*TINY, "--base-filters", "4", "--latent-dim", "8", "--out", out]) == 0
    fields = assert_run_written(only_run(out, "celeba_vae"), reconstructions=True)
    assert {"kl", "reconstruction", "loss"} <= set(fields)


def test_dry_run_shows_the_paper_defaults(capsys):
    cfg, out = dry_run(celeba_vae.main, [], capsys)
    assert (cfg["latent_dim"], cfg["batch_size"], cfg["epochs"], cfg["image_size"]) == (100, 256, 50, 64)
    assert "summed squared error" in out and "KL" in out


def test_feature_loss_without_weights_is_a_clear_error(tmp_path, capsys):
    code = celeba_vae.main([*TINY, "--feature-weight", "0.5", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "VGG19" in err and "Traceback" not in err


def test_dry_run_with_the_feature_loss_drops_the_pixel_term_unless_asked(capsys):
    _, out = dry_run(celeba_vae.main, ["--feature-weight", "0.5"], capsys)
    assert "0.5 * VGG19 feature loss, each layer / (2 C H W)" in out and "summed squared error" not in out
    _, out = dry_run(celeba_vae.main, ["--feature-weight", "0.5", "--pixel-loss"], capsys)
    assert "summed squared error" in out


def test_train_on_train_keeps_the_split_s_validation_and_test_faces_unseen(tmp_path, capsys, monkeypatch):
    import csv
    import json
    import os

    from zoo.data.splits import split_indices

    out = str(tmp_path / "r")
    args = [*TINY, "--base-filters", "4", "--latent-dim", "8", "--out", out, "--num-synthetic", "40", "--train-on",
            "train"]
    assert celeba_vae.main(args) == 0
    run = only_run(out, "celeba_vae")
    split = json.load(open(os.path.join(run, "split.json")))
    assert split["counts"] == {"train": 28, "validation": 8, "test": 4} and split["seed"] == 0
    rows = list(csv.DictReader(open(os.path.join(run, "split.csv"))))
    expected = split_indices(40, seed=0)
    assert sorted(int(r["index"]) for r in rows if r["split"] == "test") == expected["test"].tolist()
    assert "training on the train split's 28" in capsys.readouterr().out
    # its presets say which faces they never saw, and the encoder names its decoder
    from zoo.make_preset import make_preset
    from zoo.registry import load_preset_metadata

    dec = make_preset(run, "decoder", str(tmp_path / "dec"))
    enc = make_preset(run, "encoder", str(tmp_path / "enc"), decoder=dec)
    meta = load_preset_metadata(enc)
    assert meta["split"]["counts"]["test"] == 4 and meta["split"]["trained_on"] == "train"
    assert meta["decoder_weights_sha256"] == load_preset_metadata(dec)["weights_sha256"]
    assert meta["decoder"] == dec  # a folder elsewhere is named by its path
    import zoo.registry

    monkeypatch.setattr(zoo.registry, "PRESET_DIR", str(tmp_path))  # as if dec were a built-in preset
    enc = make_preset(run, "encoder", str(tmp_path / "enc2"), decoder=dec)
    assert load_preset_metadata(enc)["decoder"] == "dec"  # a built-in one by its name, which every message uses
