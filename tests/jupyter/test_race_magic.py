"""``%nbdl race`` in a real kernel: live frames in one display, the table, the race stored, bad values refused."""
import base64

import pytest

pytestmark = pytest.mark.slow


def test_race_draws_live_and_stores_the_race(kernel):
    result = kernel.run("%nbdl race --surface rosenbrock --optimizers sgd,adam --seconds 1")
    assert result.status == "ok", result.error
    pngs = [base64.b64decode(p) for p in result.mimes("image/png")]
    assert len(pngs) >= 2 and all(p.startswith(b"\x89PNG") for p in pngs)  # updated in place, frame after frame
    assert "optimizer" in result.text and "adam" in result.text and "step 1200" in result.text
    assert kernel.value("race.reached('adam') is not None and race.reached('sgd') is None") is True
    assert kernel.value("race.paths['adam'].points.shape") == (2001, 2)


def test_race_options_and_errors(kernel):
    result = kernel.run("r = %nbdl race --surface saddle --optimizers sgd,momentum --lr sgd=0.05 --steps 50 "
                        "--start=-1,0.01 --seconds 0 --as saddle_race")
    assert result.status == "ok", result.error
    assert kernel.value("r is saddle_race and saddle_race.step == 50") is True
    assert kernel.value("saddle_race.paths['sgd'].points[0].tolist()") == [-1.0, 0.01]
    bad = kernel.run("%nbdl race --optimizers sgd,adamm --seconds 0")
    assert bad.status == "error" and "adamm" in bad.text and not bad.mimes("image/png")
    bad = kernel.run("%nbdl race --surface nope")
    assert bad.status == "error" and "rosenbrock" in bad.text
    help_text = kernel.run("%nbdl race --help").text
    for name in ("rosenbrock", "beale", "saddle", "--optimizers", "--lr", "--start", "--steps"):
        assert name in help_text


def test_landscape_draws_the_plane_and_the_line(kernel):
    setup = kernel.run("import nbdl\nfrom nbdl.core.landscape import Trajectory\n"
                       "a = nbdl.train('input 2\\ndense 8 relu\\ndense 2 softmax', data='moons', epochs=4, seed=1, "
                       "batch_size=8, callbacks=[Trajectory()])\n"
                       "b = nbdl.train('input 2\\ndense 8 relu\\ndense 2 softmax', data='moons', epochs=4, seed=1, "
                       "batch_size=128)")
    assert setup.status == "ok", setup.text
    for line in ("%nbdl landscape a --resolution 7", "%nbdl landscape b --resolution 5 --span 0.5 --split val",
                 "%nbdl landscape a --other b"):
        result = kernel.run(line)
        assert result.status == "ok", (line, result.text)
        assert any(base64.b64decode(p).startswith(b"\x89PNG") for p in result.mimes("image/png")), line
    bad = kernel.run("%nbdl landscape a --resolution 1")
    assert bad.status == "error" and "resolution" in bad.text
    assert kernel.value("type(landscape).__name__") == "Line"  # the last one is kept under --as's default
    kept = kernel.run("%nbdl landscape a --resolution 3 --as plane_a")
    assert kept.status == "ok", kept.text
    assert kernel.value("plane_a.losses.shape") == (3, 3)
    bad = kernel.run("%nbdl landscape a --other b --resolution 5")
    assert bad.status == "error" and "--other takes neither" in bad.text


def test_race_refuses_a_start_off_the_picture_before_drawing(kernel):
    bad = kernel.run("%nbdl race --start=-9,-9 --seconds 0")
    assert bad.status == "error" and "outside rosenbrock's window" in bad.text and not bad.data
