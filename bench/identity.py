"""Identity through projection, encoding and a gender edit, on UTKFace test faces (issue 26, item 5).

    python -m bench.identity --data-dir ../shared/data/utkface [--count 20] [--project-count 20] [--seed 0] --out OUT

Takes faces of the presets' test split (``bench.align_photos.test_faces``: the classifiers' and
``vae_utkface_64``'s seeded 70/20/10 split; the first ``--project-count`` of them are projected, ~30 s each on 2
idle cores) and runs on each, in this process, the commands a user runs (UTKFace chips are already framed as the
training images, so they are read whole, ``--no-align``; a face whose report exists is not run again):

    python -m zoo.latent edit --model vae_utkface_64 --encoder vae_encoder_utkface_64 --image FACE --no-align \\
        --classifier classifier_gender_utkface_48 --directions vae_utkface_64 --direction gender \\
        --max-intensity 2 --edit-steps 5 --out OUT/edit/NAME
    python -m zoo.latent project --model dcgan_utkface_64 --image FACE --no-align --classifier \\
        classifier_gender_utkface_48 --directions dcgan_utkface_64 --direction gender --max-intensity 2 \\
        --edit-steps 5 --out OUT/project/NAME

then gathers their reports: the photo -> projection (or encoding) identity distance and PSNR, and per edit
intensity the identity distance from the unedited face and the classifier's P(female). Prints markdown tables and
writes OUT/identity.json.
"""

from __future__ import annotations

import argparse
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

EDIT = ["--classifier", "classifier_gender_utkface_48", "--direction", "gender", "--max-intensity", "2",
        "--edit-steps", "5", "--no-align"]
RUNS = {"vae_utkface_64 encoding": ("edit", ["--model", "vae_utkface_64", "--encoder", "vae_encoder_utkface_64",
                                             "--directions", "vae_utkface_64"]),
        "dcgan_utkface_64 projection": ("project", ["--model", "dcgan_utkface_64", "--directions",
                                                    "dcgan_utkface_64"])}


def run_one(command: str, argv: list[str], image: str, out: str) -> dict:
    """One ``zoo.latent`` command on one photo (skipped when its report exists: the bench resumes)."""
    from zoo.latent.__main__ import main

    path = os.path.join(out, f"{command}.json")
    if not os.path.isfile(path):
        if main([command, *argv, *EDIT, "--image", image, "--out", out]) != 0:
            raise SystemExit(f"zoo.latent {command} failed on {image}")
    with open(path) as f:
        return json.load(f)


def gather(reports: list[dict]) -> dict:
    """The photo's identity and PSNR, and the edit curve pooled over faces, from ``zoo.latent`` reports."""
    import numpy as np

    from zoo.metrics.identity import SAME_PERSON, summary

    photo = [r.get("identity") or r["photo"]["identity"] for r in reports]
    t = np.asarray(reports[0]["edit_identity"]["intensities"])
    d = np.concatenate([np.asarray(r["edit_identity"]["distances"]) for r in reports])  # [faces, T]
    p = np.asarray([r["edit"]["mean_per_step"] for r in reports])  # one face each: its P(female) per step
    moved = np.abs(p - p[:, [int(np.argmin(np.abs(t)))]]) >= 0.5  # edits that moved P(female) by >= 0.5
    out = {"faces": len(reports), "photo_identity": summary([x["distance"] for x in photo]),
           "edit": [{"intensity": float(v), **summary(d[:, j]), "p_female_mean": float(p[:, j].mean()),
                     "moved_p_female_by_0.5": int(moved[:, j].sum()),
                     "moved_and_same_person": int((moved[:, j] & (d[:, j] < SAME_PERSON)).sum())}
                    for j, v in enumerate(t)],
           "moved_edits_same_person_share": float((d[moved] < SAME_PERSON).mean()) if moved.any() else None,
           "moved_edits": int(moved.sum()), "seconds_per_face": float(np.mean([r["seconds"] for r in reports]))}
    if "metrics" in reports[0]:
        psnr = np.asarray([r["metrics"]["psnr"]["mean"] for r in reports])
        out["psnr"] = {"median": float(np.median(psnr)), "mean": float(psnr.mean()),
                       "share_at_least_23": float((psnr >= 23).mean())}
    return out


def main(argv=None) -> int:
    from bench.align_photos import test_faces
    from bench.common import table

    p = argparse.ArgumentParser(prog="python -m bench.identity", description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", required=True, help="the UTKFace folder")
    p.add_argument("--count", type=int, default=20, help="test faces encoded by the VAE")
    p.add_argument("--project-count", type=int, default=20, help="of them, faces projected (~30 s each)")
    p.add_argument("--seed", type=int, default=0, help="which test faces")
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    paths, _, _ = test_faces(args.data_dir, max(args.count, args.project_count), args.seed)
    report = {"command": ["python -m bench.identity", *(argv or [])], "faces": [os.path.basename(x) for x in paths]}
    for label, (command, extra) in RUNS.items():
        reports = []
        for path in paths[:args.project_count if command == "project" else args.count]:
            name = os.path.basename(path).split(".")[0]
            reports.append(run_one(command, extra, path, os.path.join(args.out, command, name)))
        if not reports:
            continue
        report[label] = gather(reports)
        r = report[label]
        psnr = f", PSNR median {r['psnr']['median']:.1f} dB" if "psnr" in r else ""
        print(f"\n{label}, {r['faces']} test faces: photo identity median {r['photo_identity']['median']:.3f}, "
              f"{100 * r['photo_identity']['share_same_person']:.0f}% under 0.6{psnr}")
        print(table([[f"{e['intensity']:+g}", f"{e['mean']:.3f}", f"{e['median']:.3f}",
                      f"{100 * e['share_same_person']:.0f}%", f"{e['p_female_mean']:.2f}",
                      f"{e['moved_and_same_person']} / {e['moved_p_female_by_0.5']}"] for e in r["edit"]],
                    ["intensity", "identity mean", "median", "under 0.6", "P(female)",
                     "moved by >= 0.5: same person"]))
    from zoo.utils.io import write_json

    write_json(os.path.join(args.out, "identity.json"), report)
    print(f"wrote {os.path.join(args.out, 'identity.json')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
