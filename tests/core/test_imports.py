"""The core stays free of notebook packages: it must import in a plain Python process."""
import subprocess
import sys


def test_core_imports_no_notebook_packages():
    code = (
        "import sys, nbdl, nbdl.core, nbdl.data\n"
        "bad = [m for m in ('IPython', 'ipywidgets', 'matplotlib') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
