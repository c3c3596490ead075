"""Drive the real demo page in a headless Chromium (Playwright): click through the tabs, check what appears, and
optionally save a screenshot of each tab (docs/images/demo_*.png, shown in docs/demo.md).

    python -m demo.screenshots docs/images            # starts the demo on a free port, saves demo_<tab>.png
    python -m demo.screenshots --latency              # seconds per 16-face grid: Keras, ONNX, page clicks

The browser is Debian's ``chromium`` (``apt-get install -y chromium``), found at /usr/bin/chromium or
$FACEZOO_CHROMIUM; Playwright drives it through ``executable_path``, so no browser download is needed.
The test suite uses the same functions (tests/demo/test_browser.py).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync"]
TIMEOUT_MS = 60_000


def chromium_path() -> str | None:
    """The Chromium to drive: $FACEZOO_CHROMIUM, /usr/bin/chromium or chromium on the PATH (None if absent)."""
    for cand in (os.environ.get("FACEZOO_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                 shutil.which("chromium-browser")):
        if cand and os.path.isfile(cand) and os.access(cand, os.X_OK):
            return cand
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(port: int | None = None, env: dict | None = None, timeout: float = 120.0):
    """``python -m demo.app --port PORT`` in a subprocess; yields its URL once the page answers."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}/"
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen([sys.executable, "-m", "demo.app", "--port", str(port)], cwd=ROOT, stdout=log,
                            stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"the demo exited with {proc.returncode}:\n{log.read().decode()[-3000:]}")
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the demo did not answer on {url} within {timeout:.0f} s") from None
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@contextlib.contextmanager
def browser(executable: str | None = None):
    """A Playwright page in a headless Chromium with its own temporary profile."""
    from playwright.sync_api import sync_playwright

    executable = executable or chromium_path()
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(profile, executable_path=executable, headless=True,
                                                   args=CHROMIUM_FLAGS, viewport={"width": 1280, "height": 900})
        try:
            page = ctx.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            yield page
        finally:
            ctx.close()


def _image_shown(page, elem_id: str) -> dict:
    """Wait for an <img> in the component ``elem_id`` to load; returns its natural size."""
    img = page.locator(f"#{elem_id} img").first
    img.wait_for(state="visible")
    page.wait_for_function("(el) => el.complete && el.naturalWidth > 0", arg=img.element_handle())
    return img.evaluate("(el) => ({width: el.naturalWidth, height: el.naturalHeight})")


def _new_image(page, elem_id: str, key: str, old, timeout: float = 60_000) -> dict:
    """Wait until the component ``elem_id`` shows a loaded <img> whose ``key`` ("src" or "naturalWidth") differs
    from ``old``; returns its natural size and src. The <img> is looked up again at every poll: Gradio may swap the
    element while an event runs, and a handle taken before would keep reporting the old one."""
    handle = page.wait_for_function(
        """([sel, key, old]) => { const el = document.querySelector(sel);
            return el && el.complete && el.naturalWidth > 0 && el[key] != old
                && {width: el.naturalWidth, height: el.naturalHeight, src: el.src}; }""",
        arg=[f"#{elem_id} img", key, old], timeout=timeout)
    return handle.json_value()


def _size(shown: dict) -> dict:
    return {"width": shown["width"], "height": shown["height"]}


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()


def drive_generate(page) -> dict:
    """Generate 16 faces with the first generator preset; returns the grid's size."""
    open_tab(page, "Generate")
    page.locator("#generate-button").click()
    return _image_shown(page, "generate-output")


def drive_edit(page, amounts=(("PC1", 2.0),)) -> dict:
    """Wait for the preset's sliders, set each (label prefix, amount), click Edit; returns the image size and
    the description of the edit space shown above the sliders."""
    open_tab(page, "Edit")
    page.get_by_text("PC1 (").first.wait_for(state="visible")
    for label, value in amounts:
        number = page.locator(f"input[type=number][aria-label*='{label}']").first
        number.fill(str(value))
        number.press("Enter")
    page.locator("#edit-button").click()
    size = _image_shown(page, "edit-output")
    return {**size, "info": page.locator("#edit-info").inner_text()}


def _upload(page, elem_id: str, image_path: str) -> None:
    """Set ``image_path`` as the file of the upload widget ``#elem_id`` and wait until its preview shows."""
    page.locator(f"#{elem_id} input[type=file]").set_input_files(image_path)
    page.locator(f"#{elem_id} img").first.wait_for(state="visible")


def drive_edit_photo(page, image_path: str, steps: int = 20, pivotal_steps: int = 10,
                     slider: tuple = ("PC2", 2.5)) -> dict:
    """The upload-to-edit path with no button: set the projection and pivotal-tuning steps, upload ``image_path``
    in Edit (the upload alone projects it, with a progress bar, and shows the aligned face, its projection and the
    unedited edit), then release ``slider`` (label prefix, amount) and wait for the redrawn row. Returns the row's
    size after the upload and after the slider, and whether the slider changed the image."""
    open_tab(page, "Edit")
    page.get_by_text("an uploaded photo instead of a seed").click()
    set_slider(page, "projection steps", steps)
    set_slider(page, "pivotal tuning steps", pivotal_steps)
    img = page.locator("#edit-output img").first
    before = img.evaluate("(el) => el.src") if img.count() else None
    _upload(page, "edit-photo", image_path)
    uploaded = _new_image(page, "edit-output", "src", before, timeout=120_000)
    set_slider(page, *slider)
    after = _new_image(page, "edit-output", "src", uploaded["src"])
    return {"after_upload": _size(uploaded), "after_slider": _size(after), "changed": True}


def drive_analyse(page, image_path: str) -> str:
    """Upload ``image_path``, click Analyse; returns the text of the results table."""
    open_tab(page, "Analyse")
    _upload(page, "analyse-input", image_path)
    page.locator("#analyse-button").click()
    table = page.locator("#analyse-table table")
    table.wait_for(state="visible")
    return table.inner_text()


def drive_restore(page, image_path: str) -> dict:
    """Upload ``image_path`` to Restore, damage it with erased blocks and restore it; returns the row's size."""
    open_tab(page, "Restore")
    _upload(page, "restore-input", image_path)
    page.get_by_label("erase", exact=True).check()
    page.locator("#restore-button").click()
    return _image_shown(page, "restore-output")


def drive_background(page, image_path: str) -> dict:
    """Upload ``image_path`` to Remove background, click it; returns the mask's size."""
    open_tab(page, "Remove background")
    _upload(page, "background-input", image_path)
    page.locator("#background-button").click()
    return _image_shown(page, "background-mask")


def set_slider(page, label: str, value) -> None:
    """Type ``value`` into the number box of the slider labelled ``label`` and leave it: a release, as when a
    slider is let go (no button pressed)."""
    number = page.locator(f"input[type=number][aria-label*='{label}']").first
    number.fill(str(value))
    number.press("Tab")


def drive_generate_release(page, faces: int = 4) -> dict:
    """Set Generate's faces slider to ``faces`` without pressing Generate; returns the new grid's size."""
    open_tab(page, "Generate")
    before = _image_shown(page, "generate-output")
    set_slider(page, "faces", faces)
    return _size(_new_image(page, "generate-output", "naturalWidth", before["width"]))


def drive_send_to_analyse(page) -> str:
    """Press Generate's "Send face 1 to Analyse", then Analyse in the tab that opens; returns the results' text."""
    open_tab(page, "Generate")
    page.locator("#generate-send").click()
    page.locator("#analyse-input img").first.wait_for(state="visible")  # the Analyse tab is open, its input set
    page.locator("#analyse-button").click()
    table = page.locator("#analyse-table table")
    table.wait_for(state="visible")
    return table.inner_text()


def drive_example(page, tab: str, elem_id: str) -> dict:
    """Click the first example face under the upload widget ``#elem_id``; returns the size of its preview."""
    open_tab(page, tab)
    page.locator(f"#{elem_id}-examples button").first.click()
    return _image_shown(page, elem_id)


def drive_not_an_image(page, path: str) -> str:
    """Upload a file that is not an image to Analyse and press Analyse; returns the error the page shows."""
    open_tab(page, "Analyse")
    clear = page.locator("#analyse-input button[aria-label='Remove Image']")
    if clear.count():  # a face from before: empty the widget, so that the upload replaces it
        clear.first.click()
        page.locator("#analyse-input img").first.wait_for(state="detached")
    page.locator("#analyse-input input[type=file]").set_input_files(path)
    page.locator("#analyse-input img").first.wait_for(state="attached")  # a broken preview: the file is text
    page.locator("#analyse-button").click()
    message = page.get_by_text("not a readable image").first
    message.wait_for(state="visible")
    return message.inner_text()


def sample_face(folder: str, preset: str = "dcgan_utkface_64") -> str:
    """A face to upload: one of ``preset``'s own faces (nobody's photo), enlarged 4x, written to ``folder``."""
    from PIL import Image

    from demo.tabs.generate import generate

    face = generate(preset, seed=3, count=1, scale=4, resample="lanczos", backend="keras")[2:-2, 2:-2]
    path = os.path.join(folder, "face.png")
    Image.fromarray(face).save(path)
    return path


def shrink(path: str, width: int = 1000, colours: int = 256) -> None:
    """Re-save a screenshot ``width`` px wide with a ``colours`` palette (a docs figure, not a pixel record)."""
    from PIL import Image

    from zoo.utils.io import atomic_path

    with Image.open(path) as im:
        im = im.convert("RGB")
        if im.width > width:
            im = im.resize((width, round(im.height * width / im.width)), Image.LANCZOS)
        im = im.quantize(colours, method=Image.Quantize.FASTOCTREE)
    with atomic_path(path) as tmp:
        im.save(tmp, format="PNG", optimize=True)


def screenshots(out: str) -> list[str]:
    """Serve the demo, drive each tab and save docs-style screenshots demo_<tab>.png into ``out``."""
    os.makedirs(out, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp, serve() as url, browser() as page:
        page.goto(url)
        face = sample_face(tmp)
        edit = lambda p: drive_edit(p, (("PC1", 1.0), ("gender", 2.0)))  # noqa: E731
        for name, drive in (("generate", drive_generate), ("edit", edit),
                            ("analyse", lambda p: drive_analyse(p, face)),
                            ("background", lambda p: drive_background(p, face))):
            drive(page)
            path = os.path.join(out, f"demo_{name}.png")
            page.screenshot(path=path, full_page=True)
            shrink(path)
            written.append(path)
        from demo.core import catalogue

        if catalogue()["encoders"]:
            drive_restore(page, face)
            path = os.path.join(out, "demo_restore.png")
            page.screenshot(path=path, full_page=True)
            shrink(path)
            written.append(path)
        open_tab(page, "Interpolate")
        page.locator("#interpolate-button").click()
        _image_shown(page, "interpolate-output")
        page.locator("#matrix-button").click()
        _image_shown(page, "matrix-output")
        path = os.path.join(out, "demo_interpolate.png")
        page.screenshot(path=path, full_page=True)
        shrink(path)
        written.append(path)
    return written


def latency(preset: str = "dcgan_utkface_64", repeats: int = 5, clicks: int = 3) -> dict:
    """Seconds for a 16-face grid enlarged 4x: function calls through Keras and ONNX Runtime (side by side in
    this process), then clicks in the real page (click -> grid shown; the first one right after start-up)."""
    from demo import onnx_cache
    from demo.tabs.generate import generate

    out = {}
    for backend in ("keras", "onnx"):
        if backend == "onnx" and onnx_cache.runner(preset, wait=True) is None:
            continue
        generate(preset, 0, 16, scale=4, backend=backend)  # load, trace / open the session
        times = []
        for seed in range(repeats):
            t = time.perf_counter()
            generate(preset, seed, 16, scale=4, backend=backend)
            times.append(time.perf_counter() - t)
        out[backend] = times
    out["page"] = []
    with serve() as url, browser() as page:
        page.goto(url)
        for k in range(clicks):
            page.get_by_label("seed", exact=True).fill(str(100 + k))  # a new grid (the same one is not re-sent)
            t = time.perf_counter()
            page.locator("#generate-button").click()
            page.wait_for_function("() => { const i = document.querySelector('#generate-output img');"
                                   " return i && i.complete && i.naturalWidth > 0 && i.src !== window.__last; }")
            out["page"].append(time.perf_counter() - t)
            page.evaluate("() => { window.__last = document.querySelector('#generate-output img').src; }")
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m demo.screenshots", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", nargs="?", default=os.path.join(ROOT, "docs", "images"))
    p.add_argument("--latency", action="store_true", help="time Generate (Keras, ONNX, page clicks) instead")
    args = p.parse_args(argv)
    if chromium_path() is None:
        print("error: no Chromium found (apt-get install -y chromium, or set FACEZOO_CHROMIUM)", file=sys.stderr)
        return 2
    if args.latency:
        for what, times in latency().items():
            print(f"{what:>6}: " + " ".join(f"{t:.3f}" for t in times) + " s")
        return 0
    for path in screenshots(args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
