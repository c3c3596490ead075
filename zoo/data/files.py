"""Listing, checking and reading image files: one decoding path for training, evaluation, predict and the demo.

A corrupt file inside a tf.data map crashes the whole run deep in TensorFlow (or is silently dropped), so files
are checked up front in a thread pool: the format's first and last bytes (a truncated JPEG lacks its end
marker, a PNG its IEND chunk), the size in the header (an image over ``MAX_PIXELS`` is refused before it is
decoded), then a real decode: JPEGs by libjpeg-turbo in strict mode at 1/8 scale (so "Corrupt JPEG data"
warnings count as errors) plus a look for zeroed compressed data, which can decode without a warning; PNGs by
Pillow (chunk CRCs and the compressed image data). Bad files are skipped, counted and named in one warning. ``read_image`` decodes one file exactly as the training pipeline does.
"""

from __future__ import annotations

import io
import logging
import os
import re
import struct
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from zoo.data.errors import DataError

log = logging.getLogger(__name__)

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")
MAX_PIXELS = 8192 * 8192  # a larger image is refused before decoding (14000 x 14000 RGB would need 588 MB)
LISTED_IN_WARNING = 20


def list_images(root: str, recursive: bool = True) -> list[str]:
    """All files under ``root`` whose names end in .jpg/.jpeg/.png (any case), sorted."""
    out = []
    if recursive:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            out.extend(os.path.join(dirpath, f) for f in filenames if f.lower().endswith(IMAGE_EXTENSIONS))
    else:
        out = [os.path.join(root, f) for f in os.listdir(root) if f.lower().endswith(IMAGE_EXTENSIONS)]
    return sorted(out)


def looks_like_image(path: str) -> bool:
    """True when ``path`` starts and ends like a complete JPEG or PNG file."""
    try:
        with open(path, "rb") as f:
            head = f.read(8)
            f.seek(0, os.SEEK_END)
            size = f.tell()
            if size < 32:
                return False
            f.seek(max(size - 64, 0))
            tail = f.read()
    except OSError:
        return False
    if head[:3] == b"\xff\xd8\xff":
        # Some writers pad after the end marker; look for it in the last bytes.
        return b"\xff\xd9" in tail
    if head == b"\x89PNG\r\n\x1a\n":
        return b"IEND" in tail
    return False


def header_size(path: str) -> tuple[int, int]:
    """(width, height) from the file's header, without decoding the pixels; DataError when unreadable."""
    try:
        with open(path, "rb") as f:
            head = f.read(24)
            if head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR":
                return struct.unpack(">II", head[16:24])
            if head[:3] == b"\xff\xd8\xff":
                import simplejpeg

                f.seek(0)
                height, width = simplejpeg.decode_jpeg_header(f.read())[:2]
                return int(width), int(height)
    except (OSError, ValueError) as e:
        raise DataError(f"{path} is not a readable image: {e}") from e
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's decompression-bomb warning: the size is checked below
            with Image.open(path) as im:
                return im.size
    except Image.DecompressionBombError as e:
        raise DataError(f"{path} is too large to decode ({e}); the limit is {MAX_PIXELS:,} pixels") from e
    except Exception as e:  # Pillow raises many types for files that are not images
        raise DataError(f"{path} is not a readable image (expected JPEG, PNG, BMP, GIF or WebP): {e}") from e


def check_size(path: str, max_pixels: int = MAX_PIXELS) -> tuple[int, int]:
    """(width, height) of ``path``, or a DataError when it has more than ``max_pixels`` pixels (nothing decoded)."""
    width, height = header_size(path)
    if width * height > max_pixels:
        raise DataError(f"{path} is {width}x{height} pixels, more than the {max_pixels:,} pixels allowed; "
                        f"refused without decoding it (shrink it first)")
    return width, height


# A disk block lost to zeros leaves a run of zero bytes in a JPEG's compressed data, which libjpeg may decode
# without a warning (a progressive file's refinement scans take any bits); entropy-coded photos have none this
# long (the 20k UTKFace photos have no run of even 8 zero bytes after their first scan header).
ZERO_RUN = 64


def zeroed_jpeg_data(data: bytes) -> int:
    """The length of the longest run of zero bytes in the compressed image data of JPEG ``data`` (from its first
    scan on; the headers before it may hold zero padding, an ICC profile for one), counted from ``ZERO_RUN`` up;
    0 when there is no such run."""
    i = 2
    while i + 4 <= len(data) and data[i] == 0xFF:
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte before a marker
            i += 1
            continue
        i += 2 + int.from_bytes(data[i + 2:i + 4], "big")
        if marker == 0xDA:  # start of scan: the compressed data follows its header
            return max((len(m.group()) for m in re.finditer(b"\x00{%d,}" % ZERO_RUN, data[i:])), default=0)
    return 0


def problem(path: str) -> str | None:
    """Why ``path`` cannot be used as a training image (None when it can): incomplete, too large or corrupt."""
    if not looks_like_image(path):
        return "not a complete JPEG or PNG file (truncated, empty or another format)"
    try:
        check_size(path)
        with open(path, "rb") as f:
            data = f.read()
        if data[:3] == b"\xff\xd8\xff":
            import simplejpeg

            # strict: libjpeg's recoverable "Corrupt JPEG data" warnings are errors; min size: decode at 1/8.
            simplejpeg.decode_jpeg(data, strict=True, min_height=1, min_width=1)
            zeros = zeroed_jpeg_data(data)
            if zeros:
                return f"corrupt: {zeros} zero bytes in a row in its compressed image data (zeroed on disk?)"
        else:
            from PIL import Image

            with Image.open(io.BytesIO(data)) as im:
                im.load()  # checks every chunk's CRC and inflates the image data
    except DataError as e:
        return str(e).removeprefix(f"{path} is ").removeprefix(f"{path} ")
    except Exception as e:  # decoders raise ValueError, OSError, SyntaxError, zlib.error ...
        return f"corrupt: {e}"
    return None


_checked: dict[tuple, str | None] = {}  # (path, size, mtime) -> problem: a folder loaded again is not decoded again


def _cached_problem(path: str) -> str | None:
    try:
        st = os.stat(path)
    except OSError as e:
        return f"cannot be read: {e.strerror}"
    key = (path, st.st_size, st.st_mtime_ns)
    if key not in _checked:
        _checked[key] = problem(path)
    return _checked[key]


def check_images(paths: list[str], what: str = "images") -> tuple[list[int], list[str]]:
    """Indices of the usable files in ``paths`` and the list of skipped ones; one warning names the skipped
    files and why (the first ``LISTED_IN_WARNING``) and gives the count used."""
    with ThreadPoolExecutor(8) as pool:
        reasons = list(pool.map(_cached_problem, paths, chunksize=64))
    good = [i for i, r in enumerate(reasons) if r is None]
    bad = [p for p, r in zip(paths, reasons) if r is not None]
    if bad:
        listed = "\n".join(f"  {p}: {r}" for p, r in zip(paths, reasons) if r is not None)
        lines = listed.split("\n")
        more = f"\n  ... and {len(lines) - LISTED_IN_WARNING} more" if len(lines) > LISTED_IN_WARNING else ""
        log.warning("skipped %d of %d %s (unreadable, too large or corrupt); using %d:\n%s%s", len(bad),
                    len(paths), what, len(good), "\n".join(lines[:LISTED_IN_WARNING]), more)
    return good, bad


def read_image(path: str, channels: int = 3, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """One image file -> uint8 [H, W, channels], decoded as the training pipeline decodes (``tf.io.decode_image``:
    16-bit PNGs scaled to 8 bits, not clipped). The size in the header is checked first: a file over
    ``max_pixels`` is refused before decoding. Raises DataError naming the file."""
    import tensorflow as tf

    check_size(path, max_pixels)
    try:
        image = tf.io.decode_image(tf.io.read_file(path), channels=channels, expand_animations=False)
    except (tf.errors.InvalidArgumentError, tf.errors.NotFoundError) as e:
        raise DataError(f"{path} is not a readable image (expected JPEG, PNG, BMP, GIF or WebP): "
                        f"{e.message.splitlines()[0] if e.message else e}") from e
    return image.numpy()


def load_image(path: str, size: int, channels: int = 3, max_pixels: int = MAX_PIXELS):
    """One photo file -> float32 [1, size, size, channels] in [-1, 1], decoded, cropped to its central square and
    resized as the training pipeline does (``read_image`` + ``transforms.model_input``). Raises DataError."""
    from zoo.data.transforms import model_input

    return model_input(read_image(path, 3, max_pixels), size, channels)
