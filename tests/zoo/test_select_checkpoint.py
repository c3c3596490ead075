"""python -m zoo.select_checkpoint: each kept checkpoint scored on the validation faces, the lowest error chosen."""

import json

import numpy as np

from recipes import utkface_vae
from tests.recipes._family import only_run


def test_each_checkpoint_is_scored_on_validation_faces_and_the_lowest_error_chosen(tmp_path, utkface_dir, capsys):
    from zoo import select_checkpoint
    from zoo.metrics.reconstruction import reconstruction_metrics
    from zoo.runs import load_run

    out = str(tmp_path / "r")
    assert utkface_vae.main(["--data-dir", utkface_dir, "--image-size", "16", "--batch-size", "2", "--steps", "3",
                             "--latent-dim", "4", "--base-filters", "4", "--dense-units", "8", "--no-jit-compile",
                             "--checkpoint-every", "1", "--keep-checkpoints", "0", "--num-samples", "4",
                             "--learning-rate", "0.01", "--out", out]) == 0
    run = only_run(out, "utkface_vae")
    report = str(tmp_path / "choice.json")
    assert select_checkpoint.main([run, "--real", f"utkface:{utkface_dir}", "--out", report]) == 0
    table = capsys.readouterr().out
    choice = json.load(open(report))
    assert [r["step"] for r in choice["rows"]] == [1, 2, 3] and choice["split"] == "validation"
    assert choice["faces"] == 2  # 12 readable faces: 8 train, 2 validation, 2 test
    mses = [r["mse"] for r in choice["rows"]]
    assert len(set(mses)) == 3 and choice["chosen"] == choice["rows"][int(np.argmin(mses))]["checkpoint"]
    assert "(lowest)" in table
    # the figure is the reconstruction error of those faces, recomputed here from the checkpoint itself
    faces = select_checkpoint.held_out_faces(f"utkface:{utkface_dir}", "validation", 1000, 16, 1)
    _, _, trainer = load_run(run, select_checkpoint.checkpoints(run)[1])
    expected = reconstruction_metrics(faces, np.asarray(trainer.reconstruct(faces)))["mse"]["mean"]
    assert abs(choice["rows"][1]["mse"] - expected) < 1e-7


def test_a_generator_run_or_no_checkpoint_is_a_sentence(tmp_path, utkface_dir, capsys):
    from zoo import select_checkpoint

    (tmp_path / "00000-utkface_vae").mkdir()
    code = select_checkpoint.main([str(tmp_path / "00000-utkface_vae"), "--real", f"utkface:{utkface_dir}"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and "config.json" in err
