"""Identity through projection, encoding and a gender edit, on UTKFace test faces (issue 26, items 5 and 6).

    python -m bench.identity --data-dir ../shared/data/utkface [--count 20] [--project-count 20] [--seed 0] \
        [--photos] [--steps 300] [--encoder PRESET_OR_DIR] [--pivotal-steps N] [--max-intensity 2] \
        [--model dcgan_utkface_64] [--directions PRESET] [--classifier classifier_gender_utkface_48] --out OUT

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

``--photos``: each face is first re-rendered as a photo arrives (``bench.align_photos.render_photo``: scaled,
rotated and shifted into a larger canvas over another test face, seeded), written to OUT/photos, and read by the
commands as an upload is (largest face found and aligned, no ``--no-align``); a photo where no face is found is a
counted skip. ``--steps``, ``--encoder`` (the projection's start) and ``--pivotal-steps`` go to ``project``
(``--max-intensity`` to both commands: a tuned generator's edit moves less per unit, so it may need more); with
pivotal tuning the PSNR and identity are the tuned generator's. ``--count 0`` runs the projections only.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

EDIT = ["--classifier", "classifier_gender_utkface_48", "--direction", "gender", "--edit-steps", "5"]
RUNS = {"vae_utkface_64 encoding": ("edit", ["--model", "vae_utkface_64", "--encoder", "vae_encoder_utkface_64",
                                             "--directions", "vae_utkface_64"]),
        "dcgan_utkface_64 projection": ("project", ["--model", "dcgan_utkface_64", "--directions",
                                                    "dcgan_utkface_64"])}


def run_one(command: str, argv: list[str], image: str, out: str, edit_flags=tuple(EDIT)) -> dict | None:
    """One ``zoo.latent`` command on one photo (skipped when its report exists: the bench resumes); None when the
    command refused the photo (exit 2: no face found in it), which it said on stderr."""
    from zoo.latent.__main__ import main

    import time

    from zoo.utils.io import write_json

    path = os.path.join(out, f"{command}.json")
    cpu_path = os.path.join(out, "cpu_seconds.json")
    if not os.path.isfile(path):
        cpu = time.process_time()  # all threads of this process: the work done, whoever else holds the cores
        code = main([command, *argv, *edit_flags, "--image", image, "--out", out])
        if code == 2:
            return None
        if code != 0:
            raise SystemExit(f"zoo.latent {command} failed on {image}")
        write_json(cpu_path, {"cpu_seconds": round(time.process_time() - cpu, 1)})
    with open(path) as f:
        report = json.load(f)
    if os.path.isfile(cpu_path):
        with open(cpu_path) as f:
            report.update(json.load(f))
    return report


def rendered_photos(paths: list[str], backgrounds: list[str], out: str, seed: int) -> list[str]:
    """Each test chip re-rendered as a photo (``render_photo``, seeded per face) in ``out``; existing files kept."""
    import numpy as np
    from PIL import Image

    from bench.align_photos import render_photo

    os.makedirs(out, exist_ok=True)
    written = []
    for i, (chip, back) in enumerate(zip(paths, backgrounds)):
        path = os.path.join(out, os.path.basename(chip).split(".")[0] + ".png")
        if not os.path.isfile(path):
            with Image.open(chip) as a, Image.open(back) as b:
                photo = render_photo(np.asarray(a.convert("RGB")), np.asarray(b.convert("RGB")),
                                     np.random.default_rng([seed, i]))
            Image.fromarray(photo).save(path)
        written.append(path)
    return written


def gather(reports: list[dict]) -> dict:
    """The photo's identity and PSNR, and the edit curve pooled over faces, from ``zoo.latent`` reports."""
    import numpy as np

    from zoo.metrics.identity import SAME_PERSON, summary

    # with pivotal tuning the face edited is the tuned generator's, so its identity and PSNR are the ones reported
    photo = [r.get("pivotal_tuning", r).get("identity") or r["photo"]["identity"] for r in reports]
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
           "moved_edits": int(moved.sum()), "seconds_per_face": float(np.mean([r["seconds"] for r in reports])),
           "cpu_seconds_per_face": float(np.mean([r["cpu_seconds"] for r in reports]))
           if all("cpu_seconds" in r for r in reports) else None}
    if "metrics" in reports[0]:
        psnr = np.asarray([r.get("pivotal_tuning", r)["metrics"]["psnr"]["mean"] for r in reports])
        out["psnr"] = {"median": float(np.median(psnr)), "mean": float(psnr.mean()),
                       "share_at_least_23": float((psnr >= 23).mean())}
    return out


def main(argv=None) -> int:
    from bench.align_photos import test_faces
    from bench.common import table

    p = argparse.ArgumentParser(prog="python -m bench.identity", description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", required=True, help="the UTKFace folder")
    p.add_argument("--count", type=int, default=20, help="test faces encoded by the VAE (0: none)")
    p.add_argument("--project-count", type=int, default=20, help="of them, faces projected (~30 s each)")
    p.add_argument("--seed", type=int, default=0, help="which test faces")
    p.add_argument("--photos", action="store_true", help="re-render each face as a photo and align it (an upload)")
    p.add_argument("--steps", type=int, default=None, help="project's optimisation steps (default: its own, 300)")
    p.add_argument("--encoder", default=None, help="project from this encoder's latent (an inversion encoder)")
    p.add_argument("--pivotal-steps", type=int, default=0, help="project's pivotal tuning steps (0: off)")
    p.add_argument("--max-intensity", type=float, default=2.0, help="the gender edit's largest intensity")
    p.add_argument("--model", default="dcgan_utkface_64", help="the generator the faces are projected into")
    p.add_argument("--directions", default=None, help="its gender direction's set (default: --model's own)")
    p.add_argument("--classifier", default="classifier_gender_utkface_48", help="P(female) of the edits")
    p.add_argument("--out", required=True)
    argv = sys.argv[1:] if argv is None else list(argv)  # recorded in the report as run
    args = p.parse_args(argv)
    paths, _, backgrounds = test_faces(args.data_dir, max(args.count, args.project_count), args.seed)
    report = {"command": ["python -m bench.identity", *argv], "faces": [os.path.basename(x) for x in paths]}
    images = rendered_photos(paths, backgrounds, os.path.join(args.out, "photos"), args.seed) if args.photos else paths
    project = [*(["--steps", str(args.steps)] if args.steps else []), *(["--encoder", args.encoder] if args.encoder
               else []), "--pivotal-steps", str(args.pivotal_steps)]
    runs = {("vae_utkface_64 encoding" if command == "edit" else f"{args.model} projection"):
            (command, extra if command == "edit" else ["--model", args.model, "--directions",
                                                       args.directions or args.model])
            for command, extra in RUNS.values()}
    edit_flags = ["--classifier", args.classifier, *EDIT[2:]]
    for label, (command, extra) in runs.items():
        reports, skipped = [], []
        extra = [*extra, *(project if command == "project" else []), *([] if args.photos else ["--no-align"]),
                 "--max-intensity", str(args.max_intensity)]
        for path in images[:args.project_count if command == "project" else args.count]:
            name = os.path.basename(path).split(".")[0]
            r = run_one(command, extra, path, os.path.join(args.out, command, name), edit_flags)
            (reports.append(r) if r is not None else skipped.append(os.path.basename(path)))
        if not reports:
            continue
        report[label] = {**gather(reports), "skipped_no_face": skipped}
        r = report[label]
        psnr = f", PSNR median {r['psnr']['median']:.1f} dB" if "psnr" in r else ""
        print(f"\n{label}, {r['faces']} test faces ({len(skipped)} skipped, no face found): photo identity median "
              f"{r['photo_identity']['median']:.3f}, {100 * r['photo_identity']['share_same_person']:.0f}% under 0.6"
              f"{psnr}, moved edits the same person {r['moved_edits_same_person_share']}, "
              f"{r['seconds_per_face']:.1f} s per face ({r['cpu_seconds_per_face']} CPU s)")
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
