"""A real browser against a real JupyterLab: open a notebook, run the dashboard, and press Start, Pause,
Step, Resume, Stop and Reset, checking the state and every button's label after each."""
import json

import pytest
from browser_lab import OUTPUT, run_all, serve, with_one_retry

pytestmark = pytest.mark.slow


@pytest.fixture
def lab(tmp_path):
    with serve(tmp_path, "dash.ipynb", ["%load_ext nbdl", "%%nbdl net net\ninput 2\ndense 32 relu\ndense 32 relu\ndense 2 softmax",
                                         "%nbdl dashboard net --data moons --n 2000 --epochs 100000"]) as found:
        yield found


def _image_source(page) -> str:
    return page.eval_on_selector("img.widget-image", "img => img.src")


def test_dashboard_trains_live_in_jupyterlab(lab):
    with_one_retry(lab, _drive, "")


BUTTONS = ".jp-OutputArea-output .nbdl-buttons button"


def _status(page) -> str:
    return page.inner_text(".nbdl-status")


def _step(page) -> int:
    return int(_status(page).split("step ")[1].split()[0])


def _labels(page) -> list[str]:
    return [b.strip() for b in page.locator(BUTTONS).all_inner_texts()]


def _disabled(page) -> list[bool]:
    return page.eval_on_selector_all(BUTTONS, "bs => bs.map(b => b.disabled)")


def _wait_status(page, state: str, timeout: int = 30_000) -> None:
    page.wait_for_function(f"() => document.querySelector('.nbdl-status').innerText.startsWith({json.dumps(state)})",
                           timeout=timeout)


def _drive(page, base: str, token: str) -> None:
    run_all(page, base, token, "dash.ipynb", BUTTONS, "the dashboard")
    page.wait_for_function(  # every cell has run
        "() => [...document.querySelectorAll('.jp-InputPrompt')].every(p => !p.textContent.includes('*'))",
        timeout=60_000)
    start, middle, step, stop, reset = (page.locator(BUTTONS).nth(i) for i in range(5))
    # Not started: Start and Step only, no picture yet (so no broken-image icon).
    assert _status(page).startswith("not started")
    assert _labels(page) == ["Start", "Pause", "Step", "Stop", "Reset"]
    assert _disabled(page) == [False, True, False, True, False]
    assert page.eval_on_selector(".nbdl-picture", "i => getComputedStyle(i).display") == "none"
    assert "%%nbdl net net" in page.input_value(".nbdl-magic textarea")
    # No label of the panel is cut off.
    cut = page.eval_on_selector_all(".jp-OutputArea-output .widget-label, .jp-OutputArea-output .widget-label-basic",
                                    "ls => ls.filter(l => l.offsetParent && l.scrollWidth > l.clientWidth + 1)"
                                    ".map(l => l.innerText)")
    assert cut == [], f"labels cut off: {cut}"

    start.click()  # running: the picture appears and changes
    _wait_status(page, "running")
    page.wait_for_function("() => { const i = document.querySelector('img.widget-image');"
                           " return i && i.naturalWidth > 100; }", timeout=60_000)
    first = _image_source(page)
    page.wait_for_function(f"() => document.querySelector('img.widget-image').src !== {json.dumps(first)}",
                           timeout=30_000)
    assert _labels(page)[:2] == ["Start", "Pause"] and _disabled(page) == [True, False, False, False, False]
    page.screenshot(path=str(OUTPUT / "dashboard-training.png"))

    middle.click()  # paused: the middle button resumes, the step count holds
    _wait_status(page, "paused")
    assert _labels(page)[1] == "Resume"
    page.wait_for_timeout(800)
    held = _step(page)
    page.wait_for_timeout(800)
    assert _step(page) == held, "training went on while paused"
    page.screenshot(path=str(OUTPUT / "dashboard-paused.png"))

    step.click()  # one batch, still paused
    page.wait_for_function(f"() => document.querySelector('.nbdl-status').innerText.includes('step {held + 1}')",
                           timeout=30_000)
    page.wait_for_timeout(800)
    assert _step(page) == held + 1 and _status(page).startswith("paused") and _labels(page)[1] == "Resume"

    middle.click()  # resumed
    _wait_status(page, "running")
    page.wait_for_function(f"() => !document.querySelector('.nbdl-status').innerText.includes('step {held + 1}')",
                           timeout=30_000)
    assert _labels(page)[1] == "Pause" and _step(page) > held + 1

    stop.click()  # stopped: Continue goes on to the same end
    _wait_status(page, "stopped")
    after_stop = _status(page)
    page.wait_for_timeout(1500)
    assert _status(page) == after_stop, "training went on after Stop"
    assert _labels(page)[0] == "Continue" and _disabled(page) == [False, True, False, True, False]
    epoch = int(after_stop.split("epoch ")[1].split("/")[0])
    assert 1 <= epoch < 100000 and after_stop.split("/")[1].startswith("100000")
    page.screenshot(path=str(OUTPUT / "dashboard-stopped.png"))

    reset.click()  # not started again, the picture gone
    _wait_status(page, "not started")
    assert _labels(page)[0] == "Start"
    assert page.eval_on_selector(".nbdl-picture", "i => getComputedStyle(i).display") == "none"
