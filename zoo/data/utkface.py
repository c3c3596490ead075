"""UTKFace: the aligned-and-cropped folder (labels in the file names) and the Kaggle ``age_gender.csv``."""

from __future__ import annotations

import csv
import logging
import os
import re
import sys

import numpy as np

from zoo.data.errors import SYNTHETIC_HINT, DataError, DatasetNotFoundError
from zoo.data.files import check_images
from zoo.data.source import ImageSource

log = logging.getLogger(__name__)

LICENCE = "UTKFace: non-commercial research purposes only (https://susanqq.github.io/UTKFace/)"
GENDERS = ("male", "female")
RACES = ("White", "Black", "Asian", "Indian", "Others")
_NAME = re.compile(r"^(\d{1,3})_([01])_([0-4])_(\d+)\.jpg\.chip\.jpg$")

HOW_TO_GET = (
    "Get UTKFace from https://susanqq.github.io/UTKFace/ ('Aligned&Cropped Faces', UTKFace.tar.gz), extract it "
    "and pass the folder of *.jpg.chip.jpg files with --data-dir; or pass the Kaggle 'age_gender.csv' "
    "(kaggle datasets download -d nipunarora8/age-gender-and-ethnicity-face-data-csv).")


def parse_name(filename: str) -> dict | None:
    """Labels of a UTKFace file name ``{age}_{gender}_{race}_{date}.jpg.chip.jpg``, or None if malformed.

    Returns ``{"age": int 1-116, "gender": 0 male / 1 female, "race": 0-4}``.
    """
    m = _NAME.match(os.path.basename(filename))
    if not m:
        return None
    age, gender, race = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not 1 <= age <= 116:
        return None
    return {"age": age, "gender": gender, "race": race}


def load_utkface(data_dir: str) -> ImageSource:
    """Load the UTKFace folder (or the Kaggle CSV when ``data_dir`` is a .csv file).

    Malformed names are skipped and counted (one warning); corrupt files are skipped and counted.
    """
    if data_dir.lower().endswith(".csv"):
        return load_utkface_csv(data_dir)
    if not os.path.isdir(data_dir):
        raise DatasetNotFoundError(f"UTKFace folder not found: {data_dir}\n{HOW_TO_GET}\n{SYNTHETIC_HINT}")
    names = sorted(f for f in os.listdir(data_dir) if f.lower().endswith((".jpg", ".jpeg", ".png")))
    paths, labels, malformed = [], {"age": [], "gender": [], "race": []}, []
    for name in names:
        lab = parse_name(name)
        if lab is None:
            malformed.append(name)
            continue
        paths.append(os.path.join(data_dir, name))
        for k in labels:
            labels[k].append(lab[k])
    if malformed:
        log.warning("UTKFace: skipped %d files with malformed names (expected {age}_{gender}_{race}_{date}"
                    ".jpg.chip.jpg), for example %r", len(malformed), malformed[0])
    good, bad = check_images(paths, "UTKFace images")
    if not good:
        raise DatasetNotFoundError(f"no usable UTKFace image in {data_dir} ({len(names)} image files, "
                                   f"{len(malformed)} malformed names, {len(bad)} corrupt)\n{HOW_TO_GET}\n"
                                   f"{SYNTHETIC_HINT}")
    return ImageSource(
        name="utkface", paths=[paths[i] for i in good],
        labels={k: np.asarray(v, np.int32)[good] for k, v in labels.items()},
        crop="none", skipped=len(malformed) + len(bad),
        info={"root": os.path.abspath(data_dir), "malformed_names": len(malformed), "corrupt": len(bad),
              "licence": LICENCE},
    )


def load_utkface_csv(path: str) -> ImageSource:
    """Load the Kaggle ``age_gender.csv``: columns age, ethnicity, gender, img_name, pixels (48*48 grey values).

    Rows with a wrong number of pixels or bad labels are skipped and counted; a file without those columns is
    an error naming the missing ones.
    """
    if not os.path.isfile(path):
        raise DatasetNotFoundError(f"UTKFace CSV not found: {path}\n{HOW_TO_GET}\n{SYNTHETIC_HINT}")
    csv.field_size_limit(sys.maxsize)
    images, labels, bad = [], {"age": [], "gender": [], "race": []}, 0
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        need = {"age", "ethnicity", "gender", "pixels"}
        if reader.fieldnames is None or not need <= set(reader.fieldnames):
            raise DataError(f"{path}: expected the columns {sorted(need)}, found {reader.fieldnames}")
        for row in reader:
            try:
                px = np.array(row["pixels"].split(), np.int32)
                age, race, gender = int(row["age"]), int(row["ethnicity"]), int(row["gender"])
                side = int(round(np.sqrt(px.size)))
                if side * side != px.size or side < 8 or px.min() < 0 or px.max() > 255 or gender not in (0, 1) \
                        or not 0 <= race <= 4 or not 1 <= age <= 116:
                    raise ValueError
            except (ValueError, AttributeError, TypeError):
                bad += 1
                continue
            if images and px.size != images[0].size:
                bad += 1
                continue
            images.append(px.astype(np.uint8).reshape(side, side, 1))
            labels["age"].append(age)
            labels["gender"].append(gender)
            labels["race"].append(race)
    if bad:
        log.warning("UTKFace CSV: skipped %d malformed rows in %s", bad, path)
    if not images:
        raise DatasetNotFoundError(f"no usable row in {path} ({bad} malformed)\n{HOW_TO_GET}")
    return ImageSource(name="utkface", arrays=np.stack(images),
                       labels={k: np.asarray(v, np.int32) for k, v in labels.items()}, crop="none", skipped=bad,
                       info={"root": os.path.abspath(path), "malformed_rows": bad, "licence": LICENCE})
