"""The shape of the package: imports go one way, no circles inside the core, no private names read
across modules, and the panels never reach into the magic layer."""
import ast
import pathlib
import subprocess
import sys

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "nbdl"


def _modules() -> dict[str, pathlib.Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: pathlib.Path) -> list[tuple[str, list[str]]]:
    """(module, names) for every import in a module, at any depth (function-level ones too)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            found.append((base, [alias.name for alias in node.names]))
    return found


def _target(module: str, names: list[str]) -> list[str]:
    """The nbdl modules an import reaches: ``from .core import layers`` reaches nbdl.core.layers."""
    hits = [f"{module}.{n}" for n in names if f"{module}.{n}" in MODULES]
    return hits or ([module] if module in MODULES else [])


def _graph(prefix: str) -> dict[str, set[str]]:
    graph = {}
    for name, path in MODULES.items():
        if name.startswith(prefix):
            graph[name] = {t for module, names in _imports(name, path) for t in _target(module, names)
                           if t.startswith(prefix) and t != name and not name.startswith(t + ".")}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}

    def visit(node, trail):
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return trail + [node, nxt]
            if nxt not in state:
                found = visit(nxt, trail + [node])
                if found:
                    return found
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node, [])
            if found:
                return found
    return None


def test_no_import_circles_inside_the_core():
    graph = _graph("nbdl.core")
    assert len(graph) > 20
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))


@pytest.mark.parametrize("layer, forbidden", [
    ("nbdl.core", ("IPython", "ipywidgets", "matplotlib", "nbdl.plots", "nbdl.widgets", "nbdl.magics", "nbdl.cli",
                   "nbdl.html")),
    ("nbdl.plots", ("IPython", "ipywidgets", "nbdl.widgets", "nbdl.magics", "nbdl.cli")),
    ("nbdl.widgets", ("IPython", "nbdl.magics", "nbdl.cli")),
])
def test_imports_go_one_way(layer, forbidden):
    for name, path in MODULES.items():
        if name.startswith(layer):
            for module, _ in _imports(name, path):
                assert not module.startswith(forbidden), f"{name} imports {module}"


def test_no_private_names_are_read_across_modules():
    """A leading underscore means 'this module's own': no other module imports such a name or reads
    such an attribute (torch's fused kernels, called on purpose in fast_step, are the one exception)."""
    problems = []
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                problems += [f"{name} imports {alias.name}" for alias in node.names
                             if alias.name.startswith("_") and not alias.name.startswith("__")]
            elif isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
                owner = node.value
                if isinstance(owner, ast.Name) and owner.id in ("self", "cls"):
                    continue
                if isinstance(owner, ast.Call) and getattr(owner.func, "id", "") == "super":
                    continue
                if isinstance(owner, ast.Name) and owner.id == "torch" and name == "nbdl.core.fast_step":
                    continue
                problems.append(f"{name}:{node.lineno} reads .{node.attr}")
    assert problems == []


def test_core_imports_no_notebook_packages_at_run_time():
    code = ("import sys, nbdl, nbdl.core, nbdl.data\n"
            "nbdl.train('input 2\\ndense 2 softmax', data='moons', epochs=1)\n"
            "bad = [m for m in ('IPython', 'ipywidgets', 'matplotlib') if m in sys.modules]\n"
            "print(','.join(bad))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
