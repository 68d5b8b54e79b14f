"""A real browser against Notebook 7 and JupyterLab 4, the same notebook in each: a live ``%nbdl train``
whose picture appears and changes while the cell runs, then the dashboard trained by its Start button
to the end, its picture changing. With NBDL_SCREENSHOTS=1 the Notebook 7 run saves the README's two
pictures (docs/images)."""
import pytest
from browser_lab import run_all, screenshot_for_readme, serve, with_one_retry

pytestmark = pytest.mark.slow

NET = 'import nbdl\nnet = nbdl.build("input 2\\ndense 32 relu\\ndense 32 relu\\ndense 2 softmax")'
LIVE = ".jp-RenderedImage img"  # the live picture of %nbdl train (the dashboard's are widget images)
BUTTONS = ".jp-OutputArea-output .nbdl-buttons button"
STATUS = "document.querySelector('.nbdl-status').innerText"


@pytest.fixture(params=["notebook", "lab"])
def front_end(request, tmp_path):
    with serve(tmp_path, "live.ipynb", ["%load_ext nbdl\n" + NET,
                                        "%nbdl train net --data moons --n 2000 --epochs 80",
                                        "%nbdl dashboard net --data moons --n 2000 --epochs 60"], app=request.param) as found:
        yield request.param, found


def test_live_train_and_dashboard(front_end):
    app, served = front_end
    with_one_retry(served, lambda page, base, token: _drive(page, base, token, app), f"{app}-")


def _changes(page, selector: str, timeout: int) -> None:
    """Wait until the first ``selector`` image shows a picture other than the one it shows now."""
    page.eval_on_selector(selector, "i => { window.nbdlBefore = i.src; }")
    page.wait_for_function(f"() => {{ const i = document.querySelector({selector!r});"
                           " return i && i.naturalWidth > 100 && i.src !== window.nbdlBefore; }", timeout=timeout)


def _drive(page, base: str, token: str, app: str) -> None:
    run_all(page, base, token, "live.ipynb", LIVE, "the live picture of %nbdl train", app=app)
    assert page.locator(".jp-InputPrompt").nth(1).inner_text().startswith("[*]"), "the picture came after training"
    _changes(page, LIVE, 60_000)  # a new frame while it trains
    page.wait_for_selector(BUTTONS, timeout=60_000)  # the training cell has finished: the dashboard is next
    assert "80/80" in page.locator(".jp-OutputArea").nth(1).inner_text()  # the progress line at its end
    if app == "notebook":
        screenshot_for_readme(page.locator(".jp-OutputArea").nth(1), "live-train.png")

    page.wait_for_function(f"() => {STATUS}.startsWith('not started')", timeout=30_000)
    page.locator(BUTTONS).first.click()  # Start
    page.wait_for_function("() => { const i = document.querySelector('img.widget-image');"
                           " return i && i.naturalWidth > 100; }", timeout=60_000)
    _changes(page, "img.widget-image", 30_000)
    page.wait_for_function(f"() => {STATUS}.startsWith('finished')", timeout=60_000)
    assert "epoch 60/60" in page.inner_text(".nbdl-status")
    page.mouse.move(0, 0)  # no hover shading in the picture
    if app == "notebook":
        screenshot_for_readme(page.locator(".jp-OutputArea").nth(2), "dashboard.png")
