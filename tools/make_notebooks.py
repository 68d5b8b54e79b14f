"""Write the notebooks in notebooks/ from their sources in tools/notebook_sources/ (one module per notebook,
``NAME`` and ``CELLS``), running each so the saved file shows its results (on GitHub too) and nbval
has outputs to compare: ``python tools/make_notebooks.py [NAME ...]`` (all when none is named).

Keeping the source here makes the notebooks reviewable as code; nbval runs the written files.
"""
import importlib
import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbformat.v4 import new_notebook

ROOT = pathlib.Path(__file__).resolve().parents[1]
HERE = ROOT / "notebooks"
SOURCES = ROOT / "tools" / "notebook_sources"


def sources() -> list:
    """The notebook modules, in the order of their file names (nb00_..., nb01_...)."""
    sys.path.insert(0, str(SOURCES.parent))
    return [importlib.import_module(f"notebook_sources.{path.stem}") for path in sorted(SOURCES.glob("nb*.py"))]


def write(name: str, cells: list) -> float:
    """Run the cells in a fresh kernel and save them with their outputs; the seconds it took."""
    notebook = new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    })
    started = time.perf_counter()
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}).execute()
    nbformat.write(notebook, HERE / name)
    return time.perf_counter() - started


def main(names: list[str]) -> None:
    HERE.mkdir(exist_ok=True)
    for module in sources():
        if not names or module.NAME in names or module.NAME.split("_")[0] in names:
            print(f"{module.NAME}: {write(module.NAME, module.CELLS):.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
