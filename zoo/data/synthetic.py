"""Procedural synthetic faces: seeded, vectorised, any resolution, no download.

Each image is a cartoon face drawn with anti-aliased signed-distance shapes: a skin-toned head with shading,
eyes, brows, nose, a mouth that smiles or not, optional eyeglasses, moustache and lipstick, hair of four
colours (or none: bald), long hair for most women, a neck and shoulders, and a small head tilt. Labels are the
ones the drawing used, so a classifier can learn them: a CelebA-style attribute subset (``ATTRIBUTES``) and
UTKFace-style ``age`` / ``gender`` (0 male, 1 female) / ``race`` (0-4). The foreground mask (head, hair, neck,
shoulders) comes with every image. Backgrounds vary like photographs (gradients, textures, clutter) unless
``plain_background=True``.

The set can also write itself to disk in the CelebA, UTKFace (folder and Kaggle CSV) and FFHQ layouts; the tests
use those folders to exercise the real loaders.
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import tensorflow as tf

ATTRIBUTES = (
    "Bald", "Black_Hair", "Blond_Hair", "Brown_Hair", "Eyeglasses", "Gray_Hair",
    "Male", "Mustache", "Smiling", "Wearing_Lipstick", "Young",
)

# Skin tone per UTKFace race code (White, Black, Asian, Indian, Others), RGB in [0, 1].
_SKIN = np.array([
    [0.93, 0.78, 0.68], [0.45, 0.30, 0.21], [0.91, 0.76, 0.60], [0.70, 0.52, 0.39], [0.80, 0.63, 0.50],
], np.float32)
_HAIR = {  # name -> RGB
    "Black_Hair": [0.08, 0.07, 0.07], "Blond_Hair": [0.86, 0.74, 0.45],
    "Brown_Hair": [0.40, 0.25, 0.13], "Gray_Hair": [0.70, 0.70, 0.72],
}
_HAIR_NAMES = tuple(_HAIR)
_HAIR_RGB = np.array([_HAIR[k] for k in _HAIR_NAMES], np.float32)

# Chunk size for parameter draws: image i is drawn from the RNG of chunk i // _CHUNK, so a given (seed, index)
# always yields the same image whatever batch it is rendered in.
_CHUNK = 64


@dataclasses.dataclass
class SyntheticFaces:
    """A batch of rendered faces.

    images: [N, H, W, 3] uint8.  masks: [N, H, W] uint8 (1 = foreground).  labels: name -> [N] int array,
    with the ``ATTRIBUTES`` as 0/1 and ``age`` (years), ``gender`` (0 male, 1 female), ``race`` (0-4).
    """

    images: np.ndarray
    masks: np.ndarray
    labels: dict


def _draw_params(rng: np.random.Generator, n: int) -> dict:
    u = rng.uniform
    age = np.clip(rng.gamma(3.0, 12.0, n) + 1, 1, 95).astype(np.int32)
    gender = (u(size=n) < 0.5).astype(np.int32)  # 1 = female
    race = rng.choice(5, size=n, p=[0.42, 0.19, 0.15, 0.17, 0.07]).astype(np.int32)
    male = gender == 0
    old = age >= 55
    bald = male & (u(size=n) < np.where(age > 40, 0.35, 0.03))
    gray = ~bald & (u(size=n) < np.where(old, 0.8, 0.02))
    hair_idx = rng.choice(3, size=n, p=[0.45, 0.2, 0.35])  # black, blond, brown
    hair_idx = np.where(gray, 3, hair_idx)
    p = dict(
        age=age, gender=gender, race=race, bald=bald, hair_idx=hair_idx,
        smiling=u(size=n) < 0.5,
        glasses=u(size=n) < 0.25,
        mustache=male & ~(age < 16) & (u(size=n) < 0.35),
        lipstick=~male & ~(age < 14) & (u(size=n) < 0.45),
        long_hair=~bald & np.where(male, u(size=n) < 0.1, u(size=n) < 0.85),
        skin=_SKIN[race] * u(0.9, 1.08, (n, 3)).astype(np.float32),
        hair_rgb=_HAIR_RGB[hair_idx] * u(0.85, 1.15, (n, 3)).astype(np.float32),
        cx=u(-0.08, 0.08, n), cy=u(-0.12, 0.02, n),
        rx=u(0.34, 0.42, n) * np.where(male, 1.06, 0.97), ry=u(0.45, 0.54, n),
        tilt=u(-0.18, 0.18, n),
        eye_dx=u(0.14, 0.19, n), eye_y=u(-0.12, -0.04, n),
        eye_r=u(0.045, 0.065, n) * np.where(age < 12, 1.35, 1.0),
        iris_rgb=rng.choice(np.array([[0.25, 0.15, 0.08], [0.2, 0.35, 0.55], [0.25, 0.4, 0.2], [0.1, 0.08, 0.06]],
                                     np.float32), size=n),
        mouth_y=u(0.22, 0.3, n), mouth_w=u(0.11, 0.17, n),
        hairline=u(0.2, 0.45, n),
        clothes=u(0.05, 0.95, (n, 3)).astype(np.float32),
        light=u(0.8, 1.15, n), cast=u(-0.05, 0.05, (n, 3)).astype(np.float32),
        # background: two gradient colours, angle, texture and four clutter shapes
        bg0=u(0, 1, (n, 3)).astype(np.float32), bg1=u(0, 1, (n, 3)).astype(np.float32),
        bg_angle=u(0, 2 * np.pi, n), tex_amp=u(0.0, 0.18, n),
        tex_f=u(2, 14, (n, 3)), tex_phase=u(0, 2 * np.pi, (n, 3)), tex_dir=u(0, 2 * np.pi, (n, 3)),
        clutter_on=u(size=(n, 4)) < 0.6, clutter_x=u(-1, 1, (n, 4)), clutter_y=u(-1, 1, (n, 4)),
        clutter_r=u(0.08, 0.35, (n, 4)), clutter_square=u(size=(n, 4)) < 0.5,
        clutter_rgb=u(0, 1, (n, 4, 3)).astype(np.float32),
        plain_rgb=u(0.55, 0.95, (n, 1)).astype(np.float32) * np.ones((1, 3), np.float32),
        noise_seed=rng.uniform(0, 1000, n),
    )
    # float32 throughout: a float64 parameter would promote every full-image array it touches
    return {k: v.astype(np.float32) if v.dtype == np.float64 else v for k, v in p.items()}


def _alpha(d, px):
    """Anti-aliased coverage of the region d < 0, given a signed distance d and the pixel size px."""
    return tf.clip_by_value(0.5 - d / px, 0.0, 1.0)


def _blend(img, alpha, rgb):
    """Paint ``rgb`` ([N, 3] or [N, H, W, 3]) over ``img`` [N, H, W, 3] with coverage ``alpha`` [N, H, W]."""
    if rgb.shape.rank == 2:
        rgb = rgb[:, None, None, :]
    return img + alpha[..., None] * (rgb - img)


def _wave(t):
    """A cheap sine-like wave of period 2*pi (a smoothed triangle): sin() costs most of the drawing time."""
    f = t * (1.0 / (2.0 * np.pi))
    w = 4.0 * tf.abs(f - tf.floor(f) - 0.5) - 1.0
    return w * (1.5 - 0.5 * w * w)


def _hash(a, b, c):
    """Per-pixel pseudo-random numbers in [0, 1) without sin() (Hoskins' hash without sine)."""
    a, b, c = a * 0.1031 - tf.floor(a * 0.1031), b * 0.1030 - tf.floor(b * 0.1030), c * 0.0973 - tf.floor(c * 0.0973)
    d = a * (b + 33.33) + b * (c + 33.33) + c * (a + 33.33)
    a, b, c = a + d, b + d, c + d
    h = (a + b) * c
    return h - tf.floor(h)


def _hypot(a, b):
    return tf.sqrt(a * a + b * b)


@tf.function(jit_compile=True, reduce_retracing=True)
def _render(p: dict, size: int, plain_background: bool):
    """Draw the faces of parameter dict ``p`` (tensors with leading dim N); XLA fuses the whole drawing."""
    n = tf.shape(p["age"])[0]
    px = 2.0 / size
    lin = (tf.range(size, dtype=tf.float32) + 0.5) * px - 1.0
    Y, X = tf.meshgrid(lin, lin, indexing="ij")
    Y, X = Y[None], X[None]  # [1, H, W]

    def col(x):  # per-image scalar -> [N, 1, 1]
        return tf.reshape(tf.cast(x, tf.float32), [-1, 1, 1])

    def const(rgb):
        return tf.broadcast_to(tf.constant(rgb, tf.float32), [n, 3])

    # Background
    if plain_background:
        img = tf.broadcast_to(p["plain_rgb"][:, None, None, :], [n, size, size, 3])
    else:
        ang = col(p["bg_angle"])
        t = ((tf.cos(ang) * X + tf.sin(ang) * Y + 1.5) / 3.0)[..., None]
        img = p["bg0"][:, None, None, :] * (1 - t) + p["bg1"][:, None, None, :] * t
        tex = 0.0
        for k in range(3):
            d = col(p["tex_dir"][:, k])
            tex += _wave(col(p["tex_f"][:, k]) * (tf.cos(d) * X + tf.sin(d) * Y) + col(p["tex_phase"][:, k]))
        img = img + (col(p["tex_amp"]) / 3.0 * tex)[..., None]
        for k in range(4):
            cx, cy, r = col(p["clutter_x"][:, k]), col(p["clutter_y"][:, k]), col(p["clutter_r"][:, k])
            d = tf.where(col(p["clutter_square"][:, k]) > 0,
                         tf.maximum(tf.abs(X - cx), tf.abs(Y - cy)) - r, _hypot(X - cx, Y - cy) - r)
            img = _blend(img, _alpha(d, px) * col(p["clutter_on"][:, k]), p["clutter_rgb"][:, k])

    # Head-centred, tilted coordinates
    cx, cy, tilt = col(p["cx"]), col(p["cy"]), col(p["tilt"])
    c, s = tf.cos(tilt), tf.sin(tilt)
    u = c * (X - cx) + s * (Y - cy)  # across the face
    v = -s * (X - cx) + c * (Y - cy)  # down the face
    rx, ry = col(p["rx"]), col(p["ry"])
    skin, hair = p["skin"], p["hair_rgb"]

    # Shoulders and neck (untilted, below the head)
    a_torso = _alpha((_hypot((X - cx) / 0.75, (Y - 1.15) / 0.45) - 1.0) * 0.45, px)
    img = _blend(img, a_torso, p["clothes"])
    d_neck = tf.maximum(tf.abs(X - cx) - rx * 0.45, tf.abs(Y - (cy + ry * 0.9 + 0.15)) - 0.28)
    a_neck = _alpha(d_neck, px)
    img = _blend(img, a_neck, skin * 0.85)

    # Long hair behind the head
    d_long = (_hypot(u / (rx * 1.3), (v - ry * 0.25) / (ry * 1.25)) - 1.0) * rx
    a_long = _alpha(d_long, px) * col(p["long_hair"])
    img = _blend(img, a_long, hair * 0.85)

    # Face with radial shading
    r2 = (u / rx) ** 2 + (v / ry) ** 2
    a_face = _alpha((tf.sqrt(r2) - 1.0) * tf.minimum(rx, ry), px)
    shade = (1.0 - 0.22 * r2 - 0.08 * v)[..., None]
    img = _blend(img, a_face, skin[:, None, None, :] * shade)

    # Wrinkles: faint forehead lines that grow with age
    wr = tf.clip_by_value((col(p["age"]) - 45.0) / 30.0, 0.0, 1.0)
    lines = tf.cast((tf.abs(_wave((v + ry * 0.55) * 55.0)) < 0.25) & (v < -ry * 0.45) & (tf.abs(u) < rx * 0.55),
                    tf.float32)
    img = img - (0.12 * wr * lines * a_face)[..., None]

    # Hair on top (not bald): inside a slightly larger ellipse and above the hairline
    d_cap = (_hypot(u / (rx * 1.1), (v + 0.02) / (ry * 1.08)) - 1.0) * rx
    a_hair = _alpha(tf.maximum(d_cap, v + ry * col(p["hairline"])), px) * (1.0 - col(p["bald"]))
    img = _blend(img, a_hair, hair)

    # Eyes, irises, brows, eyeglasses
    edx, ey, er = col(p["eye_dx"]), col(p["eye_y"]), col(p["eye_r"])
    glasses = col(p["glasses"])
    line_w = max(px * 0.6, 0.012)
    for side in (-1.0, 1.0):
        du, dv = u - side * edx, v - ey
        img = _blend(img, _alpha(_hypot(du / 1.6, dv) - er, px), const([0.96, 0.96, 0.96]))
        img = _blend(img, _alpha(_hypot(du, dv) - er * 0.75, px), p["iris_rgb"])
        img = _blend(img, _alpha(_hypot(du, dv) - er * 0.35, px), const([0.0, 0.0, 0.0]))
        d_brow = tf.maximum(tf.abs(du) - er * 1.7, tf.abs(dv + er * 2.1) - er * 0.35)
        img = _blend(img, _alpha(d_brow, px), hair * 0.7)
        d_ring = tf.abs(_hypot(du / 1.3, dv) - er * 2.0) - line_w
        img = _blend(img, _alpha(d_ring, px) * glasses, const([0.05, 0.05, 0.05]))
    d_bridge = tf.maximum(tf.abs(u) - (edx - er * 2.5), tf.abs(v - ey) - line_w)
    img = _blend(img, _alpha(d_bridge, px) * glasses, const([0.05, 0.05, 0.05]))

    # Nose: a soft darker wedge
    d_nose = tf.maximum(tf.abs(u) - 0.03 - 0.12 * tf.maximum(v, 0.0), tf.abs(v - 0.07) - 0.09)
    img = img - (0.12 * _alpha(d_nose, px * 3))[..., None] * skin[:, None, None, :]

    # Mouth: a smile curves up at the corners and shows teeth; otherwise a flat line
    my, mw, smiling = col(p["mouth_y"]), col(p["mouth_w"]), col(p["smiling"])
    curve = (smiling * -2.2 + (1 - smiling) * -0.3) * (u / mw) ** 2 * 0.05
    dv = v - my - curve
    d_mouth = tf.maximum(tf.abs(u) - mw, tf.abs(dv) - (smiling * 0.035 + (1 - smiling) * 0.014))
    lips = tf.where(tf.cast(p["lipstick"], tf.bool)[:, None], const([0.75, 0.1, 0.2]), skin * 0.55)
    img = _blend(img, _alpha(d_mouth, px), lips)
    d_teeth = tf.maximum(tf.abs(u) - mw * 0.75, tf.abs(dv + 0.006) - 0.014)
    img = _blend(img, _alpha(d_teeth, px) * smiling, const([0.97, 0.97, 0.97]))
    d_must = tf.maximum(tf.abs(u) - mw * 1.1, tf.abs(v - my + 0.06) - 0.025)
    img = _blend(img, _alpha(d_must, px) * col(p["mustache"]), hair * 0.8)

    # Global lighting, colour cast, and sensor noise from a hash of the pixel position and the image's seed
    img = img * col(p["light"])[..., None] + p["cast"][:, None, None, :]
    noise = _hash((X + 1.0) * size * 7.0 + col(p["noise_seed"]), (Y + 1.0) * size * 5.0, col(p["noise_seed"]))
    img = img + 0.03 * (noise[..., None] - 0.5)
    images = tf.cast(tf.clip_by_value(img, 0.0, 1.0) * 255.0 + 0.5, tf.uint8)
    fg = tf.reduce_max(tf.stack([a_torso, a_neck, a_long, a_face, a_hair]), axis=0)
    return images, tf.cast(fg > 0.5, tf.uint8)


def _labels(p: dict) -> dict:
    hair = p["hair_idx"]
    not_bald = ~p["bald"]
    lab = {
        "Bald": p["bald"], "Black_Hair": not_bald & (hair == 0), "Blond_Hair": not_bald & (hair == 1),
        "Brown_Hair": not_bald & (hair == 2), "Gray_Hair": not_bald & (hair == 3),
        "Eyeglasses": p["glasses"], "Male": p["gender"] == 0, "Mustache": p["mustache"],
        "Smiling": p["smiling"], "Wearing_Lipstick": p["lipstick"], "Young": p["age"] < 40,
    }
    out = {k: np.asarray(v, np.int32) for k, v in lab.items()}
    out.update(age=p["age"].astype(np.int32), gender=p["gender"].astype(np.int32), race=p["race"].astype(np.int32))
    return out


def render_faces(start: int, count: int, image_size: int = 64, seed: int = 0,
                 plain_background: bool = False) -> SyntheticFaces:
    """Render faces ``start .. start+count-1`` of the synthetic set with the given seed.

    The same (seed, index) gives the same face whatever ``start``/``count`` it is rendered with.
    """
    if image_size < 4:
        raise ValueError(f"image_size must be at least 4, got {image_size}")
    if count < 0 or start < 0:
        raise ValueError(f"start and count must be non-negative, got start={start} count={count}")
    if count == 0:
        empty = np.zeros((0, image_size, image_size), np.uint8)
        return SyntheticFaces(np.zeros((0, image_size, image_size, 3), np.uint8), empty,
                              {k: np.zeros(0, np.int32) for k in (*ATTRIBUTES, "age", "gender", "race")})
    first, last = start // _CHUNK, (start + count - 1) // _CHUNK
    draws = [_draw_params(np.random.default_rng([seed, c]), _CHUNK) for c in range(first, last + 1)]
    p = {k: np.concatenate([d[k] for d in draws]) for k in draws[0]}
    # Render whole chunks, several at a time (fixed shapes: XLA compiles once per image size)
    imgs, masks = [], []
    per_call = _CHUNK * max(1, 2**16 // (image_size * image_size))
    for lo in range(0, len(p["age"]), per_call):
        im, m = _render({k: tf.constant(v[lo:lo + per_call].astype(np.float32)) for k, v in p.items()},
                        image_size, plain_background)
        imgs.append(im.numpy())
        masks.append(m.numpy())
    off = start - first * _CHUNK
    sl = slice(off, off + count)
    labels = {k: v[sl] for k, v in _labels(p).items()}
    return SyntheticFaces(np.concatenate(imgs)[sl], np.concatenate(masks)[sl], labels)


# ---------------------------------------------------------------------------------------------------------------
# Writing the set to disk in the layouts of the real datasets

CELEBA_ATTRIBUTES = (
    "5_o_Clock_Shadow", "Arched_Eyebrows", "Attractive", "Bags_Under_Eyes", "Bald", "Bangs", "Big_Lips", "Big_Nose",
    "Black_Hair", "Blond_Hair", "Blurry", "Brown_Hair", "Bushy_Eyebrows", "Chubby", "Double_Chin", "Eyeglasses",
    "Goatee", "Gray_Hair", "Heavy_Makeup", "High_Cheekbones", "Male", "Mouth_Slightly_Open", "Mustache",
    "Narrow_Eyes", "No_Beard", "Oval_Face", "Pale_Skin", "Pointy_Nose", "Receding_Hairline", "Rosy_Cheeks",
    "Sideburns", "Smiling", "Straight_Hair", "Wavy_Hair", "Wearing_Earrings", "Wearing_Hat", "Wearing_Lipstick",
    "Wearing_Necklace", "Wearing_Necktie", "Young",
)


def _save(path: str, image: np.ndarray) -> None:
    from PIL import Image

    Image.fromarray(image).save(path, quality=95) if path.endswith(".jpg") else Image.fromarray(image).save(path)


def write_celeba(root: str, count: int, seed: int = 0) -> str:
    """Write ``count`` faces in the official CelebA aligned layout under ``root``; returns ``root``.

    ``img_align_celeba/000001.jpg`` (178x218 RGB), ``list_attr_celeba.txt`` with all 40 attribute columns
    (the attributes the synthetic set does not draw are -1) and ``list_eval_partition.txt`` (8:1:1 split).
    """
    faces = render_faces(0, count, 178, seed)
    img_dir = os.path.join(root, "img_align_celeba")
    os.makedirs(img_dir, exist_ok=True)
    pad = np.zeros((count, 20, 178, 3), np.uint8) + faces.images[:, :1]  # 178 -> 218 tall, as the real crops
    images = np.concatenate([pad, faces.images, pad], axis=1)
    names = [f"{i + 1:06d}.jpg" for i in range(count)]
    rows = []
    for i, name in enumerate(names):
        _save(os.path.join(img_dir, name), images[i])
        vals = [(1 if faces.labels[a][i] else -1) if a in faces.labels else -1 for a in CELEBA_ATTRIBUTES]
        rows.append(name + " " + " ".join(f"{v:2d}" for v in vals))
    with open(os.path.join(root, "list_attr_celeba.txt"), "w") as f:
        f.write(f"{count}\n" + " ".join(CELEBA_ATTRIBUTES) + "\n" + "\n".join(rows) + "\n")
    with open(os.path.join(root, "list_eval_partition.txt"), "w") as f:
        for i, name in enumerate(names):
            f.write(f"{name} {0 if i % 10 < 8 else (1 if i % 10 == 8 else 2)}\n")
    return root


def write_utkface(root: str, count: int, seed: int = 0, image_size: int = 200) -> str:
    """Write faces as UTKFace ``{age}_{gender}_{race}_{date}.jpg.chip.jpg`` files under ``root``."""
    faces = render_faces(0, count, image_size, seed)
    os.makedirs(root, exist_ok=True)
    for i in range(count):
        lab = faces.labels
        date = 20170101000000000 + i
        _save(os.path.join(root, f"{lab['age'][i]}_{lab['gender'][i]}_{lab['race'][i]}_{date}.jpg.chip.jpg"),
              faces.images[i])
    return root


def write_utkface_csv(path: str, count: int, seed: int = 0) -> str:
    """Write the Kaggle ``age_gender.csv`` layout: age, ethnicity, gender, img_name, pixels (48x48 grey)."""
    faces = render_faces(0, count, 48, seed)
    grey = (faces.images.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32) + 0.5).astype(np.uint8)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        f.write("age,ethnicity,gender,img_name,pixels\n")
        for i in range(count):
            lab = faces.labels
            pixels = " ".join(str(int(v)) for v in grey[i].ravel())
            f.write(f"{lab['age'][i]},{lab['race'][i]},{lab['gender'][i]},{20170101000000000 + i}.jpg.chip.jpg,"
                    f"\"{pixels}\"\n")
    return path


def write_ffhq(root: str, count: int, seed: int = 0, image_size: int = 128) -> str:
    """Write faces as FFHQ-style PNGs in thousand-image sub-folders (``00000/00000.png``)."""
    faces = render_faces(0, count, image_size, seed, plain_background=False)
    for i in range(count):
        sub = os.path.join(root, f"{(i // 1000) * 1000:05d}")
        os.makedirs(sub, exist_ok=True)
        _save(os.path.join(sub, f"{i:05d}.png"), faces.images[i])
    return root
