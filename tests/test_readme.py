"""The README's examples run as written (each in a fresh process, so that its registrations stay
there), its "Extending nbdl" examples reach every surface, and it names everything the registries
hold."""
import pathlib
import re
import subprocess
import sys

import pytest

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_python_example_runs(index):
    printed = _run(BLOCKS[index])
    if index == 0:
        assert "{'train': 240, 'val': 80, 'test': 80}" in printed and "accuracy" in printed


EXTENDED = """
from nbdl import cli
from nbdl.widgets import Dashboard
from nbdl.widgets.layers import LayerRow

assert "clip [LIMIT]" in cli.layer_help()
assert nbdl.NetworkSpec.parse("input 2\\nclip 0.5\\ndense 2").to_text() == "input 2\\nclip 0.5\\ndense 2"
command, args = cli.parse("train net --data sine --noise 0.05 --optimizer nadam --lr 0.01")
assert cli.given_data_options(args, "sine") == {"noise": 0.05} and cli.config_settings(args)["optimizer"] == "nadam"
assert "sine" in cli.data_help() and "nadam" in cli.build_parsers()["train"].format_help()
panel = Dashboard(data="sine")
assert "sine" in panel.data_choice.options and "nadam" in panel.settings.controls["optimizer"].widget.options
assert set(panel.settings.option_controls) == {"n", "noise"}
row = LayerRow(Clip(0.5), lambda: None, lambda row: None)
assert "clip" in row.kind.options and row.controls["limit"].value == 0.5
panel.close()
print("every surface knows them")
"""


@pytest.mark.slow
def test_the_extending_examples_reach_every_surface():
    block = next(b for b in BLOCKS if "register_layer" in b)
    assert "every surface knows them" in _run(block + EXTENDED)


def test_the_readme_names_everything_the_registries_hold():
    from nbdl.core import (activations, augment, datasets, init, layers, losses, meta_methods, meta_tasks,
                           optimizers, rl_agents, rl_env)

    text = README.read_text()
    for registry in (activations.registry, init.registry, optimizers.registry, optimizers.schedules,
                     losses.registry, layers.registry, augment.registry, datasets.registry, rl_env.environments,
                     rl_agents.algorithms, meta_tasks.families, meta_methods.methods):
        for key, record in zip(registry.names(), registry.records()):
            spelled = {key, str(getattr(record, "name", key))}  # 'acrobot_v1' is spelled 'Acrobot-v1'
            assert any(f"`{name}" in text or f"{name}`" in text or f" {name} " in text for name in spelled), \
                f"{registry.kind} {key}"


def test_the_readme_table_names_every_magic():
    from nbdl import cli

    table = README.read_text().split("Every magic (", 1)[1].split("###", 1)[0]
    for name in cli.subcommands():
        assert f"`%nbdl {name}" in table or f"`%%nbdl {name}" in table, name


def test_the_readme_maps_every_notebook():
    table = README.read_text().split("## The notebooks", 1)[1].split("\n## ", 1)[0]
    for notebook in sorted((README.parent / "notebooks").glob("*.ipynb")):
        assert f"| `{notebook.stem}` |" in table, notebook.name

