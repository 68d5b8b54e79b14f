"""``%nbdl code RUN --to PATH`` in a real kernel: the script shown highlighted and written, and
what is not a run refused."""
import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def test_code_shows_and_writes_the_script(kernel, tmp_path):
    kernel.run("%%nbdl net net\ninput 2\ndense 8 relu\ndense 2 softmax")
    assert kernel.run("%nbdl train net --data moons --epochs 3 --seed 2 --no-plot").status == "ok"
    path = tmp_path / "moons_run.py"
    result = kernel.run(f"%nbdl code run --to {path}")
    assert result.status == "ok", result.text
    assert any("torch.optim.Adam(" in text for text in result.mimes("text/plain"))
    assert any('<span class="n">optimizer</span>' in html for html in result.mimes("text/html"))  # highlighted
    assert f"wrote {path}" in result.text
    done = subprocess.run([sys.executable, "-I", str(path)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    printed = float(re.search(r"^final val_loss (\S+)$", done.stdout, re.M).group(1))
    assert printed == pytest.approx(kernel.value("run.history['val_loss'][-1]"), rel=1e-5)
    refused = kernel.run("%nbdl code net")
    assert refused.status == "error" and "exports a run" in refused.text
