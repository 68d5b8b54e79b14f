"""Binder: binder/ builds an environment that runs notebook 00, and the README badge opens it.

The slow test builds a fresh virtual environment the way repo2docker does (pip installs
binder/requirements.txt, then binder/postBuild runs from the repository root with that
environment first on PATH) and executes notebooks/00_start.ipynb in a kernel of that environment,
so a broken Binder configuration fails CI instead of a reader's first click."""
import json
import os
import pathlib
import re
import subprocess
import sys
import tomllib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"
NOTEBOOK = "notebooks/00_start.ipynb"
BADGE = re.compile(r"\(https://mybinder\.org/v2/gh/([^/]+/[^/]+)/([^?]+)\?urlpath=lab/tree/([^)\s]+)\)")

# Run in the notebook's kernel after its own cells: proves the kernel is the Binder environment's
# and that torch there is the CPU build.
PROBE = "import sys, torch, nbdl\nprint(sys.prefix)\nprint(torch.__version__, torch.version.cuda)\nprint(nbdl.__file__)"


def _torch_requirement():
    lines = [line.strip() for line in (BINDER / "requirements.txt").read_text().splitlines()]
    return next(line for line in lines if line.startswith("torch=="))


def test_binder_torch_is_the_cpu_build_the_makefile_pins():
    pin = _torch_requirement()
    assert pin.endswith("+cpu"), f"{pin}: pin the CPU build (torch==X+cpu) so Binder never pulls CUDA"
    version = pin.removeprefix("torch==").removesuffix("+cpu")
    assert f'"torch=={version}"' in (ROOT / "Makefile").read_text(), f"Makefile pins another torch than {pin}"


def test_binder_python_is_one_nbdl_supports():
    runtime = (BINDER / "runtime.txt").read_text().strip()
    assert re.fullmatch(r"python-3\.\d+", runtime), runtime
    minimum = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert int(runtime.split(".")[1]) >= int(minimum.removeprefix(">=3.")), (runtime, minimum)


def test_readme_badge_opens_notebook_00_of_the_repository_pyproject_names():
    badges = BADGE.findall((ROOT / "README.md").read_text())
    assert len(badges) == 1, f"expected one Binder badge in README.md, found {badges}"
    repository, ref, path = badges[0]
    assert path == NOTEBOOK and (ROOT / path).is_file()
    assert ref == "HEAD"
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"].get("urls", {})
    assert urls.get("Repository") == f"https://github.com/{repository}", (
        f"the badge opens {repository}; pyproject's [project.urls] Repository is "
        f"{urls.get('Repository')!r}: the two must name the same repository")


def _run(command, env, what, timeout):
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", f"{done.stdout[-3000:]}\n{done.stderr}")  # tracebacks' colours
    assert done.returncode == 0, f"{what} failed:\n{plain[-6000:]}"
    return done.stdout


def _binder_env(prefix: pathlib.Path, home: pathlib.Path) -> dict:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("PYTHON", "VIRTUAL_ENV", "JUPYTER", "IPYTHON", "CONDA"))}
    env.update(
        PATH=f"{prefix / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        VIRTUAL_ENV=str(prefix),
        # Clean Jupyter and IPython homes, so no kernelspec, config or startup file of this
        # machine's user is picked up (HOME stays: pip's configuration may live there).
        JUPYTER_DATA_DIR=str(home / "jupyter"), JUPYTER_CONFIG_DIR=str(home / "config"),
        IPYTHONDIR=str(home / "ipython"),
        # Where PyTorch's index cannot be reached, pip's five retries with back-off per package
        # cost ~80 s before it falls back to the CPU wheel on disk; one failed try says the same.
        PIP_RETRIES="0",
        MPLBACKEND="Agg",
    )
    return env


EXECUTE = """
import json, sys
import nbformat
from nbclient import NotebookClient
notebook = nbformat.read(sys.argv[1], as_version=4)
notebook.cells.append(nbformat.v4.new_code_cell(sys.argv[2]))
NotebookClient(notebook, timeout=300, kernel_name="python3").execute()
json.dump(notebook.cells, sys.stdout)
"""


def _printed(cell) -> str:
    """A cell's printed text; a saved notebook may keep it as a list of lines."""
    texts = [output["text"] for output in cell.get("outputs", []) if output["output_type"] == "stream"]
    return "".join("".join(text) if isinstance(text, list) else text for text in texts)


@pytest.mark.slow
def test_binder_environment_runs_notebook_00(tmp_path):
    prefix, home = tmp_path / "env", tmp_path / "home"
    home.mkdir()
    runtime = (BINDER / "runtime.txt").read_text().strip()
    assert runtime == f"python-{sys.version_info.major}.{sys.version_info.minor}", (
        f"binder/runtime.txt asks for {runtime}; this test runs Python {sys.version.split()[0]}")
    subprocess.run([sys.executable, "-m", "venv", str(prefix)], check=True, timeout=120)
    env = _binder_env(prefix, home)

    # repo2docker: `${KERNEL_PYTHON_PREFIX}/bin/pip install --no-cache-dir -r binder/requirements.txt`
    # from the repository root, then `./binder/postBuild` there (--prefer-binary only spares CI a
    # source build where a newer release has no wheel yet).
    _run([str(prefix / "bin" / "pip"), "install", "--no-cache-dir", "--prefer-binary", "-r",
          "binder/requirements.txt"], env, "pip install -r binder/requirements.txt", 900)
    _run(["bash", "binder/postBuild"], env, "binder/postBuild", 900)

    python = str(prefix / "bin" / "python")
    # What the later notebooks import, and the front end a Binder user opens.
    _run([python, "-c", "import captum, drawdata, optuna, gymnasium, pygame, jupyterlab, ipykernel"],
         env, "importing what binder/postBuild installs (nbdl[notebooks]: is that extra in pyproject.toml?)", 120)

    cells = json.loads(_run([python, "-c", EXECUTE, NOTEBOOK, PROBE], env, f"executing {NOTEBOOK}", 600))
    kernel_prefix, torch_build, nbdl_file = _printed(cells[-1]).split("\n")[:3]
    assert pathlib.Path(kernel_prefix) == prefix, f"the kernel ran in {kernel_prefix}, not the Binder environment"
    assert torch_build.endswith("+cpu None"), f"torch in the Binder environment: {torch_build}"
    assert pathlib.Path(nbdl_file).is_relative_to(ROOT / "nbdl"), nbdl_file

    # The cells whose printed text nbval checks print the same in the Binder environment.
    saved = json.loads((ROOT / NOTEBOOK).read_text())["cells"]
    checked = [i for i, cell in enumerate(saved) if "NBVAL_CHECK_OUTPUT" in "".join(cell["source"])]
    assert checked
    for i in checked:
        assert _printed(cells[i]) == _printed(saved[i]), f"cell {i} of {NOTEBOOK} prints differently"
