"""A JupyterLab (or Notebook 7) server for the browser tests: started on a free port with its own
settings, one notebook written beside it, and the calls the tests make to its REST API."""
import contextlib
import json
import os
import pathlib
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

CHROMIUM = "/usr/bin/chromium"
OUTPUT = pathlib.Path(__file__).resolve().parents[2] / "test-output" / "browser"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
# Each front end (the ``jupyter`` subcommand that serves it): where it opens a notebook, and what on
# the page says the kernel is idle (JupyterLab's status bar; Notebook 7 has none, only its toolbar's).
FRONT_ENDS = {
    "lab": ("/lab/tree/{notebook}?token={token}&reset", ".jp-StatusBar-TextItem:has-text('| Idle')"),
    "notebook": ("/notebooks/{notebook}?token={token}", ".jp-Notebook-ExecutionIndicator[data-status='idle']"),
}
SCREENSHOTS = pathlib.Path(__file__).resolve().parents[2] / "docs" / "images"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str):
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


@contextlib.contextmanager
def serve(folder: pathlib.Path, name: str, cells: list[str], app: str = "lab"):
    """JupyterLab (``app="notebook"``: Notebook 7) on ``folder`` holding ``name`` (a notebook of
    ``cells``): yields (base URL, token, the server's log); skips the test where Chromium or
    Playwright (or Notebook 7) is missing."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (make test installs it with apt-get when run as root)")
    pytest.importorskip("playwright", reason="playwright is not installed: pip install -e '.[dev]'")
    if app == "notebook":
        pytest.importorskip("notebook", minversion="7", reason="Notebook 7 is not installed: pip install -e '.[dev]'")
    settings = folder / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(json.dumps({"checkForUpdates": False, "fetchNews": "false"}))
    notebook = new_notebook(cells=[new_code_cell(cell) for cell in cells],
                            metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.write(notebook, folder / name)
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(folder / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(folder / "workspaces")}
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", app, "--no-browser", f"--port={port}", "--ip=127.0.0.1", "--allow-root",
         f"--ServerApp.token={token}", f"--ServerApp.root_dir={folder}"],
        env=env, stdout=open(folder / "lab.log", "wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                get(f"{base}/api/status?token={token}")
                break
            except OSError:
                assert time.monotonic() < deadline, (folder / "lab.log").read_text()
                time.sleep(0.3)
        yield base, token, folder / "lab.log"
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def kernel_ready(base: str, token: str) -> bool:
    """Whether a kernel is idle and a page is connected to it."""
    try:
        kernels = get(f"{base}/api/kernels?token={token}")
    except urllib.error.HTTPError as error:
        if error.code == 500:  # jupyter_server lists a kernel that is still starting with an error: not yet
            return False
        raise
    return any(k["execution_state"] == "idle" and k.get("connections", 0) >= 1 for k in kernels)


def restart_kernels(base: str, token: str) -> None:
    for kernel in get(f"{base}/api/kernels?token={token}"):
        request = urllib.request.Request(f"{base}/api/kernels/{kernel['id']}/restart?token={token}", method="POST")
        urllib.request.urlopen(request, timeout=60).close()


def run_all(page, base: str, token: str, notebook: str, shown: str, what: str, app: str = "lab") -> None:
    """Open ``notebook`` in ``app`` (a key of FRONT_ENDS), wait until its kernel is really idle (the
    page says so before the kernel exists), then Run All until ``shown`` (a selector) appears: a Run
    All clicked too early runs nothing, so it is clicked again, up to three times. Both front ends
    have the same Run menu."""
    address, idle = FRONT_ENDS[app]
    page.goto(base + address.format(notebook=notebook, token=token))
    page.wait_for_selector(".jp-Notebook", timeout=60_000)
    deadline = time.monotonic() + 120
    while not (kernel_ready(base, token) and page.locator(idle).count()):
        assert time.monotonic() < deadline, "the kernel never became idle"
        time.sleep(0.3)
    for attempt in range(3):
        page.locator("li.lm-MenuBar-item:has-text('Run')").click()
        page.locator("li.lm-Menu-item[data-command='runmenu:run-all']").click()
        try:
            page.wait_for_selector(shown, timeout=60_000)
            return
        except Exception:
            assert attempt < 2, f"Run All never showed {what}"


def screenshot_for_readme(locator, name: str) -> None:
    """With NBDL_SCREENSHOTS=1, ``locator``'s picture as docs/images/``name`` (the README's): taken in
    a page tall enough to hold all of it (the notebook scrolls inside the page, so a taller element
    comes out cut), its white margins trimmed and its colours reduced to a palette so it stays small;
    otherwise nothing."""
    if not os.environ.get("NBDL_SCREENSHOTS"):
        return
    from PIL import Image, ImageChops

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path, page = SCREENSHOTS / name, locator.page
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": 3000})
    try:
        locator.screenshot(path=str(path), animations="disabled")
    finally:
        page.set_viewport_size(size)
    with Image.open(path) as shot:
        shot = shot.convert("RGB")
        left, top, right, bottom = ImageChops.difference(shot, Image.new("RGB", shot.size, "white")).getbbox()
        shot = shot.crop((max(left - 8, 0), max(top - 8, 0), min(right + 8, shot.width), min(bottom + 8, shot.height)))
        shot.quantize(colors=256, dither=Image.Dither.NONE).save(path, optimize=True)


def with_one_retry(lab, drive, prefix: str) -> None:
    """``drive(page, base, token)`` in Chromium; a shared machine can stall a browser for a while, so
    a failed try is followed by one more, said out loud, after a screenshot, the server's log and
    the page's text are kept and the kernels restarted."""
    from playwright.sync_api import sync_playwright

    base, token, log = lab
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            for attempt in (1, 2):
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                try:
                    drive(page, base, token)
                    return
                except Exception as error:
                    page.screenshot(path=str(OUTPUT / f"{prefix}failure-{attempt}.png"))
                    print(f"attempt {attempt} failed; JupyterLab log (end):\n" + log.read_text()[-3000:])
                    print("page text (end):\n" + page.inner_text("body")[-3000:])
                    if attempt == 2:
                        raise
                    warnings.warn(f"the browser scenario needed a second try; the first failed with: {error}")
                    restart_kernels(base, token)
                    page.close()
        finally:
            browser.close()
