"""Declarations of one's own layers, data sets and optimizers are checked when registered, and a
registered one reaches the text form, the data sets and the optimizers; built-ins stay as they are."""
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest
import torch

import nbdl
from nbdl.core import datasets, layers, optimizers


@pytest.fixture
def clean():
    """Whatever a test registers is taken out again."""
    before = {r: set(r.names()) for r in (datasets.registry, layers.registry, optimizers.registry)}
    yield
    for registry, names in before.items():
        for name in set(registry.names()) - names:
            registry.remove(name)


def _loader(seed=0, n=50):
    X = np.random.default_rng(seed).normal(size=(n, 3))
    return nbdl.data.from_arrays(X, X.sum(axis=1), task="regression")


def _record(name="cubes", **changes):
    values = dict(name=name, load=_loader, task="regression", help="sums of three numbers",
                  shape=lambda options: (3,), width=lambda options: 1,
                  options=(nbdl.Option("n", 50, "samples", kind="int", low=2),))
    values.update(changes)
    return nbdl.data.DataSet(**values)


def test_a_data_set_of_ones_own_trains_by_name(clean):
    nbdl.data.register(_record())
    run = nbdl.train("input 3\ndense 8 tanh\ndense 1", data="cubes", data_options={"n": 80}, epochs=2)
    assert run.dataset.name == "cubes" and len(run.dataset) == 80


@pytest.mark.parametrize("changes, message", [
    (dict(name="moons"), r"data set 'moons' is already registered; choose another name, or pass replace=True"),
    (dict(name="my set"), r"a data set's name is a word of letters"),
    (dict(name=""), r"a data set's name is a word of letters"),
    (dict(options=(nbdl.Option("lr", 0.1, "clashes with a flag"),)), r"an option may not be called 'lr'"),
    (dict(options=(nbdl.Option("seed", 1, "the seed"),)), r"an option may not be called 'seed'"),
    (dict(options=(nbdl.Option("n", 1, "too few", kind="int", low=2),)), r"data set 'cubes''s default n must be"),
    (dict(load=lambda n=50: None), r"its load function must take seed"),
    (dict(load=5), r"load must be a function"),
    (dict(task="clustering"), r"a data set's task is one of: classification, regression"),
])
def test_a_bad_data_set_declaration_is_refused_at_once(clean, changes, message):
    with pytest.raises(nbdl.NbdlError, match=message):
        nbdl.data.register(_record(**changes))


@pytest.mark.parametrize("changes, message", [
    (dict(load=lambda seed=0, n=50: None), r"its load function returned NoneType, not a Dataset"),
    (dict(shape=lambda options: (4,)), r"declares regression samples of shape \(4,\) .* but its load function made "
                                        r"regression samples of shape \(3,\)"),
    (dict(task="classification", width=lambda options: 2), r"declares classification samples"),
    (dict(samples=lambda options: "many"), r"its samples function must give a number of samples"),
])
def test_a_loader_that_breaks_its_declaration_is_named(clean, changes, message):
    nbdl.data.register(_record(**changes))
    with pytest.raises(nbdl.NbdlError, match=message):
        nbdl.data.load("cubes")


def test_aliases_and_replacing(clean):
    with pytest.raises(nbdl.NbdlError, match=r"aliases of data set 'cubes' must be a list of names, got 'cb'"):
        nbdl.data.register(_record(), aliases="cb")
    nbdl.data.register(_record(), aliases=("cb",))
    assert nbdl.data.load("cb").name == "cubes"
    with pytest.raises(nbdl.NbdlError, match=r"data set 'cb' is already registered \(as 'cubes'\)"):
        nbdl.data.register(_record("other"), aliases=("cb",))
    nbdl.data.register(_record(help="replaced"), replace=True)
    assert datasets.registry.get("cubes").help == "replaced"


@pytest.mark.parametrize("kind, message", [
    (nbdl.OptimizerKind("adam", torch.optim.SGD, {"lr": 0.1}), r"optimizer 'adam' is already registered"),
    (nbdl.OptimizerKind("mine", dict, {"lr": 0.1}), r"cls must be a torch.optim.Optimizer class"),
    (nbdl.OptimizerKind("mine", torch.optim.SGD, {"momentum": 0.5}), r"defaults must be a dict with at least .* 'lr'"),
    (nbdl.OptimizerKind("mine", torch.optim.SGD, {"lr": -1.0}), r"optimizer 'mine''s default lr must be a number > 0"),
    (nbdl.OptimizerKind("mine", torch.optim.Adam, {"lr": 0.1, "momentum": 0.5}), r"Adam takes no momentum"),
    (nbdl.OptimizerKind("mine", torch.optim.SGD, {"lr": 0.1, "dampening": 0.1}), r"declares dampening; settings are"),
])
def test_a_bad_optimizer_declaration_is_refused_at_once(clean, kind, message):
    with pytest.raises(nbdl.NbdlError, match=message):
        nbdl.register_optimizer(kind)
    assert optimizers.kind("adam").cls is torch.optim.Adam


def test_a_bad_layer_declaration_is_refused_at_once(clean):
    @dataclass
    class Scale(nbdl.Layer):
        type: ClassVar[str] = "scale"
        help: ClassVar[str] = "multiplies by FACTOR"
        factor: float = nbdl.option(nbdl.core.options.REQUIRED, "the factor", form="positional")

        def build(self, shape):
            return torch.nn.Identity()

    with pytest.raises(nbdl.NbdlError, match=r"layer 'scale' has options without defaults, so it needs an example"):
        nbdl.register_layer(Scale)
    Scale.example = "scale two"
    with pytest.raises(nbdl.NbdlError, match=r"its example 'scale two' does not read: scale factor must be a number"):
        nbdl.register_layer(Scale)
    Scale.example = "scale 2"
    nbdl.register_layer(Scale)
    assert nbdl.NetworkSpec.parse("input 2\nscale 3\ndense 2").layers[1].factor == 3.0
    Scale.type, Scale.example = "dense", "dense 2"
    with pytest.raises(nbdl.NbdlError, match=r"layer 'dense' is already registered"):
        nbdl.register_layer(Scale)


def test_token_data_sets_must_make_token_codes(clean):
    nbdl.data.register(_record(tokens=True))
    with pytest.raises(nbdl.NbdlError, match=r"declares token codes, but its load function made samples that are not"):
        nbdl.data.load("cubes")


def test_a_layer_type_is_one_word(clean):
    @dataclass
    class Spaced(nbdl.Layer):
        type: ClassVar[str] = "my layer"
        help: ClassVar[str] = "a space in its name"
        example: ClassVar[str] = "my layer"

        def build(self, shape):
            return torch.nn.Identity()

    with pytest.raises(nbdl.NbdlError, match=r"needs a type: one word that starts its line, .* got 'my layer'"):
        nbdl.register_layer(Spaced)


def test_a_layer_whose_build_gives_no_module_is_named(clean):
    @dataclass
    class Nothing(nbdl.Layer):
        type: ClassVar[str] = "nothing"
        help: ClassVar[str] = "builds nothing"
        example: ClassVar[str] = "nothing"

        def build(self, shape):
            return None

    nbdl.register_layer(Nothing)
    with pytest.raises(nbdl.NbdlError, match=r"layer 'nothing': its build\(\) must return a torch.nn.Module"):
        nbdl.build("input 2\nnothing\ndense 2")
