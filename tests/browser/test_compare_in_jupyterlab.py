"""A real browser against a real JupyterLab: run %nbdl compare, then press the x-axis switch's
"samples seen" under the picture and check the picture shown changed (and the button is pressed)."""
import pytest
from browser_lab import OUTPUT, run_all, serve, with_one_retry

pytestmark = pytest.mark.slow

SWITCH = ".jp-OutputArea-output .widget-toggle-buttons button"
PICTURE = ".jp-OutputArea-output img.widget-image"


@pytest.fixture
def lab(tmp_path):
    with serve(tmp_path, "compare.ipynb", ["%load_ext nbdl", "%%nbdl net net\ninput 2\ndense 16 relu\ndense 2 softmax",
                                            '%nbdl compare net --data moons --vary "optimizer=gd,adam" --epochs 10']) as found:
        yield found


def test_compare_x_axis_switch_redraws_in_jupyterlab(lab):
    with_one_retry(lab, _drive, "compare-")


def _picture(page) -> str:
    return page.eval_on_selector(PICTURE, "img => img.src")


def _digest(page) -> str:
    """The shown picture's bytes, hashed: a new blob URL alone could hold the same picture."""
    return page.eval_on_selector(PICTURE, """async img => {
        const bytes = await (await fetch(img.src)).arrayBuffer();
        const hash = await crypto.subtle.digest('SHA-256', bytes);
        return bytes.byteLength + ':' + [...new Uint8Array(hash)].map(b => b.toString(16).padStart(2, '0')).join('');
    }""")


def _pressed(page) -> list[str]:
    return page.eval_on_selector_all(SWITCH, "bs => bs.filter(b => b.classList.contains('mod-active'))"
                                             ".map(b => b.innerText.trim())")


def _drive(page, base: str, token: str) -> None:
    run_all(page, base, token, "compare.ipynb", SWITCH, "the comparison's switch")
    page.wait_for_function("() => { const i = document.querySelector('img.widget-image');"
                           " return i && i.naturalWidth > 100; }", timeout=30_000)
    labels = [b.strip() for b in page.locator(SWITCH).all_inner_texts()]
    assert labels == ["epoch", "optimizer step", "samples seen", "time"]
    assert _pressed(page) == ["epoch"]
    assert page.locator(".jp-OutputArea-output table").count() >= 1  # the results table under the switch
    before, bytes_before = _picture(page), _digest(page)
    page.locator(SWITCH, has_text="samples seen").click()
    page.wait_for_function(f"() => document.querySelector({PICTURE!r}).src !== {before!r}", timeout=30_000)
    assert _pressed(page) == ["samples seen"]
    # The new picture is loaded, sharp (drawn at twice its shown size), and not an empty one.
    page.wait_for_function(f"() => document.querySelector({PICTURE!r}).naturalWidth > 100", timeout=10_000)
    natural, shown = page.eval_on_selector(PICTURE, "i => [i.naturalWidth, i.clientWidth]")
    assert natural >= 2 * shown - 2 and shown > 300
    assert _digest(page) != bytes_before, "the switch changed the image's address but not the picture"
    page.locator(PICTURE).screenshot(path=str(OUTPUT / "compare-by-samples.png"))
