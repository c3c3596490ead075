"""Foreground masks, transparent cut-outs and grey/blurred-background copies of a folder of face photos, with any
rembg segmenter.

    python -m zoo.data.remove_background ../shared/data/utkface ../utkface_rembg            # offline default
    python -m zoo.data.remove_background SRC DST --model u2net_human_seg --alpha-matting      # a rembg model
    python -m zoo.data.remove_background SRC DST --model-path my_seg.onnx                     # a custom ONNX

Layout under DST (what ``zoo.data.backgrounds.with_background(source, mode, mask_dir=DST)`` reads; DST defaults
to ``<SRC>_rembg``, the folder the recipes' ``--background`` looks in):

    DST/<relative path without suffix>.png          the mask, single channel, 255 = person (soft edges kept)
    DST/cutout/<relative path without suffix>.png   the transparent cut-out: RGBA, the photo with alpha = the mask
    DST/grey/<relative path without suffix>.png     the photo with 128 grey behind the person
    DST/blur/<relative path without suffix>.png     the photo with its own background Gaussian-blurred
    DST/manifest.json                               counts, model, timings (one entry per run, resumes appended)

Every copy is a PNG whatever the source's format, so it holds exactly the pixels the mask gives (a JPEG copy would
be re-encoded). ``--variants grey,blur`` (any subset of cutout, grey, blur) leaves the others out.

Resumable: an image whose outputs all exist is skipped, every file is written under a temporary name and
renamed, and temporaries left by a killed run are removed at start. Unreadable images are skipped and counted.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import sys
import time

import numpy as np

from zoo.data.backgrounds import BACKGROUNDS, GREY, copy_path, default_mask_dir, replace_background
from zoo.data.errors import DataError
from zoo.utils.io import atomic_path, read_json, write_json

CUTOUT = "cutout"
VARIANTS = (CUTOUT,) + tuple(b for b in BACKGROUNDS if b != "raw")  # cutout, grey, blur
MANIFEST = "manifest.json"


def list_images(src: str, dst: str) -> list[str]:
    """Relative paths of the images under ``src`` (sorted; ``dst`` excluded when it lies inside ``src``)."""
    from zoo.data import files

    if not os.path.isdir(src):
        raise DataError(f"no folder {src} (expected a folder of face images)")
    inside = os.path.abspath(dst) + os.sep
    rels = [os.path.relpath(p, src) for p in files.list_images(src) if not os.path.abspath(p).startswith(inside)]
    clash = next((r for r in rels if r.split(os.sep)[0] in VARIANTS), None)
    if clash:
        raise DataError(f"{os.path.join(src, clash)}: a top-level folder named {clash.split(os.sep)[0]!r} in the "
                        f"source would collide with the {VARIANTS} copies under {dst}")
    return rels


def output_paths(rel: str, dst: str, variants=VARIANTS) -> dict:
    """{"mask": DST/<rel without suffix>.png, "<variant>": DST/<variant>/<rel without suffix>.png} for one image."""
    out = {"mask": os.path.join(dst, os.path.splitext(rel)[0] + ".png")}
    out.update({v: copy_path(dst, v, rel) for v in variants})
    return out


def _check_writable(dst: str) -> None:
    try:
        os.makedirs(dst, exist_ok=True)
        with atomic_path(os.path.join(dst, ".write-test")) as tmp, open(tmp, "w") as f:
            f.write("ok")
        os.remove(os.path.join(dst, ".write-test"))
    except OSError as e:
        raise DataError(f"cannot write to the output folder {dst}: {e.strerror or e}") from e


def _remove_stale_temporaries(dst: str) -> int:
    """Delete ``.tmp-*`` files a killed run left (atomic_path's temporaries); returns how many."""
    count = 0
    for folder, _, files in os.walk(dst):
        for f in files:
            if f.startswith(".tmp-"):
                os.remove(os.path.join(folder, f))
                count += 1
    return count


def read_rgb(path: str) -> np.ndarray:
    """uint8 [H, W, 3] as stored (no EXIF rotation, as tf.io.decode_image reads it); OSError if unreadable."""
    from PIL import Image

    with Image.open(path) as im:
        im.load()
        if im.mode.startswith("I"):  # 16-bit greyscale: convert("RGB") clips it to white; scale as TF does
            grey = np.round(np.asarray(im, np.float64) / 257.0).clip(0, 255).astype(np.uint8)
            return np.repeat(grey[..., None], 3, axis=-1)
        return np.asarray(im.convert("RGB"))


def segment(image: np.ndarray, session, alpha_matting: bool = False) -> np.ndarray:
    """image uint8 [H, W, 3] -> mask uint8 [H, W] (255 = foreground) from a rembg-style ``session``: its
    ``predict``, which is what rembg's ``remove(only_mask=True)`` returns for an array; with ``alpha_matting`` the
    alpha of rembg's matted cut-out (the only path that imports rembg and its numba-compiled pymatting)."""
    from PIL import Image

    pil = Image.fromarray(image)
    if alpha_matting:
        from zoo.segmentation.sessions import import_rembg

        return np.asarray(import_rembg().remove(pil, session=session, alpha_matting=True).convert("RGBA"))[..., 3]
    return np.asarray(session.predict(pil)[0].convert("L"))


def _save(array: np.ndarray, path: str) -> None:
    """uint8 [H, W] (L), [H, W, 3] (RGB) or [H, W, 4] (RGBA) -> a PNG at ``path``, written atomically."""
    from PIL import Image

    with atomic_path(path) as tmp:
        Image.fromarray(array).save(tmp, format="PNG")


def variant(image: np.ndarray, mask: np.ndarray, name: str, blur_sigma: float = 0.04) -> np.ndarray:
    """image uint8 [H, W, 3], mask uint8 [H, W] -> the ``name`` copy: ``cutout`` uint8 [H, W, 4] (alpha = the
    mask), ``grey`` / ``blur`` uint8 [H, W, 3] (``replace_background``)."""
    if name == CUTOUT:
        return np.dstack([image, mask])
    return replace_background(image[None], mask[None], name, blur_sigma)[0].numpy()


def process_one(src: str, rel: str, dst: str, session, variants=VARIANTS, alpha_matting: bool = False,
                blur_sigma: float = 0.04) -> str:
    """Segment ``src/rel`` and write its outputs; returns ``"done"`` or ``"corrupt"`` (unreadable image)."""
    from PIL import Image

    try:
        image = read_rgb(os.path.join(src, rel))
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):  # a bomb is skipped, not fatal
        return "corrupt"
    mask = segment(image, session, alpha_matting)
    paths = output_paths(rel, dst, variants)
    path = None
    try:
        for v in variants:  # the mask last: an image with a mask has all its copies
            path = paths[v]
            _save(variant(image, mask, v, blur_sigma), path)
        path = paths["mask"]
        _save(mask, path)
    except OSError as e:  # a full disk, a file where a folder should be: stop with what and where
        raise DataError(f"cannot write {path}: {e.strerror or e}") from e
    return "done"


def remove_background(src: str, dst: str | None = None, model: str = "auto", model_path: str | None = None,
                      workers: int = 2, variants=VARIANTS, alpha_matting: bool = False, blur_sigma: float = 0.04,
                      progress: bool = True) -> dict:
    """Write masks and background variants of every image under ``src`` into ``dst`` (see the module doc);
    returns the manifest (also written to ``dst/manifest.json``). ``workers`` threads share one session."""
    from tqdm import tqdm

    from zoo.segmentation import make_session, resolve_model

    dst = dst or default_mask_dir(src)
    if os.path.abspath(dst) == os.path.abspath(src):
        raise DataError(f"the output folder must differ from the source ({src})")
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        raise DataError(f"unknown variants {unknown}; expected some of {VARIANTS}")
    rels = list_images(src, dst)
    if not rels:
        raise DataError(f"no .jpg/.jpeg/.png images under {src}")
    _check_writable(dst)
    stale = _remove_stale_temporaries(dst)
    todo = [r for r in rels if not all(os.path.isfile(p) for p in output_paths(r, dst, variants).values())]
    name = resolve_model(model, model_path)
    session = make_session(model, model_path, threads=1)
    counts = {"images": len(rels), "already_done": len(rels) - len(todo), "written": 0, "corrupt": 0}
    corrupt, start, complete = [], time.time(), False
    try:
        with concurrent.futures.ThreadPoolExecutor(max(1, int(workers))) as pool, \
                tqdm(total=len(todo), desc=f"segmenting ({name})", unit="img", disable=not progress) as bar:
            futures = {pool.submit(process_one, src, r, dst, session, variants, alpha_matting, blur_sigma): r
                       for r in todo}
            try:
                for fut in concurrent.futures.as_completed(futures):
                    status = fut.result()
                    counts["written" if status == "done" else "corrupt"] += 1
                    if status == "corrupt":
                        corrupt.append(futures[fut])
                    bar.update(1)
            except BaseException:
                for f in futures:
                    f.cancel()
                raise
        complete = True
    finally:
        seconds = time.time() - start
        manifest = _manifest(src, dst, name, model_path, variants, alpha_matting, blur_sigma, workers, counts,
                             sorted(corrupt), seconds, stale, complete)
        write_json(os.path.join(dst, MANIFEST), manifest)
    return manifest


def _manifest(src, dst, model, model_path, variants, alpha_matting, blur_sigma, workers, counts, corrupt, seconds,
              stale, complete) -> dict:
    path = os.path.join(dst, MANIFEST)
    runs = read_json(path).get("runs", []) if os.path.isfile(path) else []
    run = {"model": model, "model_path": model_path, "alpha_matting": alpha_matting, "workers": workers,
           "counts": counts, "corrupt": corrupt, "stale_temporaries_removed": stale, "seconds": round(seconds, 2),
           "images_per_second": round(counts["written"] / seconds, 2) if seconds > 0 else None,
           "complete": complete, "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    return {"source": os.path.abspath(src), "model": model, "variants": list(variants), "grey": GREY,
            "blur_sigma": blur_sigma, "counts": counts, "corrupt": corrupt, "complete": complete,
            "layout": {"mask": "<relative path without suffix>.png (L, 255 = person)",
                       **{v: f"{v}/<relative path without suffix>.png ({'RGBA' if v == CUTOUT else 'RGB'})"
                          for v in variants}},
            "runs": runs + [run]}


def main(argv=None) -> int:
    from zoo.utils.arguments import Parser, integer, number, run_resumable

    parser = Parser(prog="python -m zoo.data.remove_background", description=__doc__,
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("src", help="folder of face images (searched recursively)")
    parser.add_argument("dst", nargs="?", default=None, help="output folder (default: <SRC>_rembg)")
    parser.add_argument("--model", default="auto",
                        help="auto (a cached rembg portrait/human model, else the shipped mediapipe-selfie), "
                             "mediapipe-selfie, or a rembg model: u2net, u2net_human_seg, isnet-general-use, "
                             "birefnet-portrait, ... (default: auto)")
    parser.add_argument("--model-path", default=None, help="a custom ONNX segmenter, run by rembg's u2net_custom "
                        "session (or --model dis_custom / ben_custom)")
    parser.add_argument("--workers", type=integer(1, 64), default=2,
                        help="images processed in parallel (default: 2)")
    parser.add_argument("--variants", default=",".join(VARIANTS),
                        help=f"copies to write besides the masks, comma-separated (default: {','.join(VARIANTS)})")
    parser.add_argument("--alpha-matting", action="store_true", help="refine the mask with rembg's alpha matting")
    parser.add_argument("--blur-sigma", type=number(high=1, above=0), default=0.04,
                        help="blur: Gaussian sigma x image height, above 0 and at most 1 (default: 0.04)")
    args = parser.parse_args(argv)
    variants = tuple(v for v in args.variants.split(",") if v.strip())
    result = {}

    def work():
        result["manifest"] = remove_background(args.src, args.dst, args.model, args.model_path, args.workers,
                                               variants, args.alpha_matting, args.blur_sigma)

    code = run_resumable(parser.prog, work)
    if code:
        return code
    m = result["manifest"]
    run = m["runs"][-1]
    print(f"{m['counts']['written']} written, {m['counts']['already_done']} already done, "
          f"{m['counts']['corrupt']} corrupt (skipped) of {m['counts']['images']} images with {m['model']} "
          f"in {run['seconds']:.1f} s ({run['images_per_second']} img/s) -> {args.dst or default_mask_dir(args.src)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
