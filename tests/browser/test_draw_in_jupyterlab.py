"""A real browser against a real JupyterLab: ``%nbdl draw shapes`` shows drawdata's canvas (an
anywidget, through the front end anywidget installs into JupyterLab); dragging the mouse on it in two
colours sends the points to the kernel, which turns them into a data set of two classes."""
import re

import pytest
from browser_lab import ARGS, CHROMIUM, OUTPUT, run_all, serve

pytestmark = pytest.mark.slow

CANVAS = ".jp-OutputArea-output svg.dd-scatter-svg"
COUNTS = re.compile(r"shapes: (\d+) points \((\d+) of class a, (\d+) of class b\), a data set of 2 classes")


@pytest.fixture
def lab(tmp_path):
    pytest.importorskip("drawdata", reason="drawdata is not installed: pip install -e '.[draw]'")
    with serve(tmp_path, "draw.ipynb", ["%load_ext nbdl", "%nbdl draw shapes"]) as found:
        yield found


def _drag(page, start: tuple[float, float], end: tuple[float, float], steps: int = 12) -> None:
    """Press, move and release the mouse on the page: one stroke of the brush."""
    page.mouse.move(*start)
    page.mouse.down()
    for i in range(1, steps + 1):
        page.mouse.move(start[0] + (end[0] - start[0]) * i / steps, start[1] + (end[1] - start[1]) * i / steps)
        page.wait_for_timeout(20)
    page.mouse.up()


def _counts(page) -> tuple[int, int, int] | None:
    found = COUNTS.search(page.inner_text(".jp-OutputArea-output"))
    return tuple(int(n) for n in found.groups()) if found else None


def test_dragging_on_the_canvas_makes_a_data_set_in_the_kernel(lab):
    from playwright.sync_api import sync_playwright

    base, token, log = lab
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 1000})
        try:
            run_all(page, base, token, "draw.ipynb", CANVAS, "the drawing canvas")
            page.wait_for_function("() => document.querySelector('.jp-OutputArea-output').innerText"
                                   ".includes('no points yet')", timeout=60_000)
            page.locator(CANVAS).scroll_into_view_if_needed()
            box = page.locator(CANVAS).bounding_box()
            left, top, width, height = box["x"], box["y"], box["width"], box["height"]
            # Class a (selected at first) on the left, class b on the right.
            _drag(page, (left + 0.15 * width, top + 0.3 * height), (left + 0.3 * width, top + 0.7 * height))
            page.locator(".jp-OutputArea-output button.class-button[data-class='b']").click()
            _drag(page, (left + 0.7 * width, top + 0.3 * height), (left + 0.85 * width, top + 0.7 * height))
            page.wait_for_function("() => document.querySelector('.jp-OutputArea-output').innerText"
                                   ".includes('a data set of 2 classes')", timeout=30_000)
            total, of_a, of_b = _counts(page)
            drawn = page.locator(f"{CANVAS} circle.drawn").count()
            assert of_a >= 5 and of_b >= 5 and total == of_a + of_b == drawn, (total, of_a, of_b, drawn)
            page.screenshot(path=str(OUTPUT / "draw-canvas.png"))
        except Exception:
            page.screenshot(path=str(OUTPUT / "draw-failure.png"))
            print("JupyterLab log (end):\n" + log.read_text()[-3000:])
            raise
        finally:
            browser.close()
