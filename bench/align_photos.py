"""The UTKFace classifiers on faces framed as photos, with and without alignment (issue 26, item 4).

    python -m bench.align_photos --data-dir ../shared/data/utkface [--count 200] [--seed 0]

Takes ``--count`` faces of the classifiers' own test split (``split_indices`` with the split their presets record)
and re-renders each as a photo arrives: the chip, scaled by 0.8-1.25 and rotated by up to 15 degrees, with soft
edges, pasted at a random place on a canvas 2-3 times its side whose background is another test chip, enlarged,
cut into shuffled tiles (so it holds no face) and blurred, plus noise (all seeded). Then reports, for gender (``classifier_gender_utkface_48``,
``classifier_multitask_utkface_64_colour``) and age (``classifier_age_utkface_48``), or the heads of ``--presets``:
(a) the original chips, read as in training; (b) the photos read today, their central square resized;
(c) the photos aligned: MTCNN landmarks, similarity transform to the UTKFace template, then as in training;
and the chips aligned the same way (what alignment does to a face already framed as in training). Rows (c) count
only the faces the detector found; the detection rates and seconds per image are printed under the table.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

PRESETS = ("classifier_gender_utkface_48", "classifier_multitask_utkface_64_colour", "classifier_age_utkface_48")


def render_photo(chip, background, rng, where: dict | None = None):
    """``chip`` (uint8 [S, S, 3]) placed as a face in a photo: uint8 [C, C, 3] with C = 2-3 x S, over
    ``background`` (uint8 [H, W, 3]: enlarged, cut into 4 x 4 tiles shuffled and flipped so that no face is left in
    it, blurred), scaled, rotated and shifted at random. ``where``, when given, receives the pasted face's
    ``centre`` (x, y) and ``side`` in the photo's pixels.

    The tiles matter: an enlarged background face is larger than the subject, and a detector that keeps the
    largest face found it instead of the subject in 12 of 100 photos rendered before the shuffle (bench numbers
    before 2026-12-07 include those)."""
    import numpy as np
    from PIL import Image, ImageFilter

    side = chip.shape[0]
    canvas_side = int(round(rng.uniform(2.0, 3.0) * side))
    noise = rng.normal(0, 6, (canvas_side, canvas_side, 3))
    scaled = int(round(side * rng.uniform(0.8, 1.25)))
    angle = rng.uniform(-15, 15)
    face = Image.fromarray(chip).resize((scaled, scaled), Image.Resampling.LANCZOS)
    mask = np.zeros((scaled, scaled), np.uint8)
    mask[4:-4, 4:-4] = 255
    mask = Image.fromarray(mask).filter(ImageFilter.GaussianBlur(2))
    face = face.rotate(angle, Image.Resampling.BICUBIC, expand=True)
    mask = mask.rotate(angle, Image.Resampling.BICUBIC, expand=True)
    x = int(rng.integers(0, canvas_side - face.size[0] + 1))
    y = int(rng.integers(0, canvas_side - face.size[1] + 1))
    back = np.asarray(Image.fromarray(background).resize((canvas_side, canvas_side), Image.Resampling.BICUBIC))
    back = _shuffled_tiles(back, 4, rng)
    back = np.asarray(Image.fromarray(back).filter(ImageFilter.GaussianBlur(canvas_side / 40)), np.float64)
    photo = Image.fromarray(np.clip(back + noise, 0, 255).astype(np.uint8))
    photo.paste(face, (x, y), mask)
    if where is not None:
        where.update(centre=(x + face.size[0] / 2, y + face.size[1] / 2), side=scaled)
    return np.asarray(photo, np.uint8)


def _shuffled_tiles(image, tiles: int, rng):
    """``image`` [N, N, 3] cut into ``tiles`` x ``tiles`` tiles, permuted and each flipped at random (the rest of
    the last row and column stays)."""
    import numpy as np

    t = image.shape[0] // tiles
    blocks = [image[i * t:(i + 1) * t, j * t:(j + 1) * t] for i in range(tiles) for j in range(tiles)]
    order, flips = rng.permutation(len(blocks)), rng.integers(0, 2, (len(blocks), 2))
    out = image.copy()
    for k, (src, (fy, fx)) in enumerate(zip(order, flips)):
        block = blocks[src][::-1 if fy else 1, ::-1 if fx else 1]
        i, j = divmod(k, tiles)
        out[i * t:(i + 1) * t, j * t:(j + 1) * t] = block
    return out


def test_faces(data_dir: str, count: int, seed: int, presets=PRESETS):
    """(paths, labels, background paths) of ``count`` faces of the presets' test split, seeded."""
    import numpy as np

    from zoo.data.splits import split_indices
    from zoo.data.utkface import load_utkface
    from zoo.registry import load_preset_metadata

    splits = {p: load_preset_metadata(p)["split"] for p in presets}
    split = splits[presets[0]]
    if any(s != split for s in splits.values()):
        raise SystemExit(f"the presets record different splits: {splits}")
    source = load_utkface(data_dir)
    if len(source) != split["num_images"]:
        raise SystemExit(f"{data_dir} has {len(source)} usable images, the presets' split was drawn over "
                         f"{split['num_images']}: not the same test set")
    test = split_indices(len(source), split["proportions"], split["seed"])["test"]
    rng = np.random.default_rng(seed)
    order = rng.permutation(test)
    faces, backgrounds = order[:count], order[count:2 * count]
    return ([source.paths[i] for i in faces], {k: np.asarray(v)[faces] for k, v in source.labels.items()},
            [source.paths[i] for i in backgrounds])


def rendered_photos(data_dir: str, count: int, seed: int, presets=PRESETS, where: list | None = None):
    """``(labels, chips, photos)`` of ``count`` test faces (``test_faces``): the uint8 chips and each re-rendered
    as a photo by ``render_photo`` (seeded by ``seed``); ``where`` receives each pasted face's centre and side."""
    import numpy as np

    from zoo.data.files import read_image

    paths, labels, back_paths = test_faces(data_dir, count, seed, presets)
    rng = np.random.default_rng(seed)
    chips = [read_image(p, 3) for p in paths]
    spots = [{} for _ in chips]
    if where is not None:
        where.extend(spots)
    return labels, chips, [render_photo(c, read_image(b, 3), rng, w) for c, b, w in zip(chips, back_paths, spots)]


def is_pasted_face(face, where: dict) -> bool:
    """Whether a detected face is the one ``render_photo`` pasted: its landmarks' mean within 0.3 of the pasted
    side from the pasted centre."""
    import numpy as np

    x, y = np.asarray(face.landmarks, np.float64).mean(0)
    return bool(np.hypot(x - where["centre"][0], y - where["centre"][1]) <= 0.3 * where["side"])


def predictions(model, images) -> dict:
    """The model's outputs for uint8 images (each read as training read its chips), as numpy arrays."""
    import numpy as np

    from zoo.data.transforms import model_input

    x = np.concatenate([model_input(im, model.image_size, model.channels) for im in images])
    outs = [model(x[i:i + 64], training=False) for i in range(0, len(x), 64)]
    return {k: np.concatenate([np.asarray(o[k]) for o in outs]) for k in outs[0]}


AGE_COLUMN = "age MAE (years) / adults 35+ minus 18-34"


def age_cell(predicted, true) -> str:
    """The age error and ordering of one set: MAE, and the mean predicted age of adults labelled 35 or older minus
    that of adults labelled 18-34 (the issue's "faces marked young predicted younger by >= 8 years", on adults so
    that children do not make it easy)."""
    import numpy as np

    young, older = (true >= 18) & (true < 35), true >= 35
    gap = predicted[older].mean() - predicted[young].mean() if young.any() and older.any() else float("nan")
    return f"{np.abs(predicted - true).mean():.2f} / {gap:+.1f}"


def main(argv=None) -> None:
    import numpy as np

    from bench.common import table
    from zoo.data.align import align_face
    from zoo.data.face_detector import FaceDetector
    from zoo.data.photo_input import template_and_side
    from zoo.registry import from_preset

    parser = argparse.ArgumentParser(prog="python -m bench.align_photos", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=os.path.join("..", "shared", "data", "utkface"))
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--presets", nargs="+", default=list(PRESETS),
                        help="classifier presets or folders (one split): a column per gender and age head")
    args = parser.parse_args(argv)
    where = []
    labels, chips, photos = rendered_photos(args.data_dir, args.count, args.seed, args.presets, where)
    template, side = template_and_side("utkface")
    detector = FaceDetector()
    detector.detect(chips[0])  # the first call traces the networks; not part of the timing
    aligned, seconds, other_face = {}, {}, 0
    for name, images in (("chips", chips), ("photos", photos)):
        t, crops = time.perf_counter(), {}
        for i, im in enumerate(images):
            faces = detector.detect(im)
            if faces:
                crops[i] = align_face(im, faces[0].landmarks, side, template)
                other_face += name == "photos" and not is_pasted_face(faces[0], where[i])
        seconds[name] = (time.perf_counter() - t) / len(images)
        aligned[name] = crops
    sets = {"(a) chips, as in training": (chips, np.arange(len(chips))),
            "(b) photos, central square (today)": (photos, np.arange(len(photos))),
            "(c) photos, aligned": (list(aligned["photos"].values()), np.array(sorted(aligned["photos"]))),
            "chips, aligned": (list(aligned["chips"].values()), np.array(sorted(aligned["chips"])))}
    models = {p: from_preset(p) for p in args.presets}
    columns = [(p, head) for p, m in models.items() for head in ("gender", "age") if head in m.tasks]
    rows = []
    for setting, (images, idx) in sets.items():
        cells = [setting, len(idx)]
        outs = {p: predictions(m, images) for p, m in models.items()}
        for preset, head in columns:
            out = outs[preset]
            if head == "age":
                cells.append(age_cell(out["age"].reshape(-1), labels["age"][idx]))
            else:
                cells.append(f"{(out['gender'].argmax(-1) == labels['gender'][idx]).mean():.3f}")
        rows.append(cells)
    print(table(rows, ["input", "faces"] + [f"{'gender accuracy' if h == 'gender' else AGE_COLUMN}, {p}"
                                            for p, h in columns]))
    print()
    for name, images in (("chips", chips), ("photos", photos)):
        sizes = sorted({im.shape[0] for im in images})
        print(f"- MTCNN found a face in {len(aligned[name])} of {len(images)} {name} "
              f"({len(aligned[name]) / len(images):.1%}), {seconds[name]:.2f} s per image "
              f"({sizes[0]}-{sizes[-1]} px square, wall-clock, 2 shared cores)")
    print(f"- in {other_face} of the {len(aligned['photos'])} photos with a face found, the largest face was not "
          f"the pasted one (it stays in rows (c), read against the pasted face's labels)")
    print(f"- {args.count} faces of the presets' test split, seed {args.seed}: "
          f"python -m bench.align_photos --data-dir {args.data_dir} --count {args.count} --seed {args.seed} "
          f"--presets {' '.join(args.presets)}")


if __name__ == "__main__":
    main()
