"""Every surface agrees with the one declaration of each fact: for each Config setting, the magic's
flag and help, the panel's control (default, range, choices), Run.update's live list, the train
line and JSON; for each data set option, its flag, help and panel control; for each layer option,
the text form, JSON and the panel's row. A surface a setting deliberately skips is named in the
setting's declaration with the reason."""
import json

import pytest

import nbdl
from nbdl import cli
from nbdl.core import datasets, layers, optimizers
from nbdl.core.config import LIVE, SETTINGS, SURFACES, Config, train_command
from nbdl.core.options import BOOL, CHOICE, FLOAT, INT, OBJECT, PAIR
from nbdl.widgets import Dashboard
from nbdl.widgets.layers import LayerRow

NET = "input 2\ndense 8 relu\ndense 2 softmax"
# Settings whose sample value needs another setting to make sense.
CONTEXT = {"momentum": {"optimizer": "momentum"}, "early_stopping": {}, "monitor": {"early_stopping": 3}}


def sample(s):
    """A valid value other than the default, made from the declaration."""
    special = {"optimizer": "sgd", "monitor": "val_acc", "freeze": "0", "device": "cpu", "schedule": "step(5, 0.5)",
               "augment": "noise(0.05)", "init": "xavier", "loss": "cross_entropy", "threads": 1, "eps": 1e-6,
               "lr": 0.05, "weight_decay": 0.001, "batch_size": 16, "adversarial": "fgsm(0.1)",
               "tensorboard": "runs/moons"}
    if s.name in special:
        return special[s.name]
    if s.kind == BOOL:
        return not s.default
    if s.kind == PAIR:
        return (0.5, 0.75)
    if s.kind == INT:
        return (s.default or 0) + 3 if s.high is None else min((s.default or 0) + 3, int(s.high))
    if s.kind == FLOAT:
        return 0.3 if s.high is not None else 0.002
    raise AssertionError(f"no sample for {s.name}")


PLAIN = [s for s in SETTINGS if s.kind != OBJECT]


def test_every_setting_declares_what_each_surface_needs():
    for s in SETTINGS:
        assert s.help, s.name
        assert s.section in ("network", "data", "optimizer", "regularization", "other"), s.name
        assert set(dict(s.absent)) <= set(SURFACES), s.name
        for surface, reason in s.absent:
            assert len(reason) > 10, f"{s.name} is absent from {surface} without a reason"


@pytest.mark.parametrize("s", PLAIN, ids=lambda s: s.name)
def test_the_flag_and_its_help_agree_with_the_setting(s):
    parser = cli.build_parsers()["train"]
    help_text = parser.format_help()
    if s.missing_from("flag"):
        assert s.flag not in cli.flags("train")
        return
    assert s.flag in cli.flags("train")
    words = " ".join(help_text.split())  # argparse wraps lines
    assert " ".join(cli.help_text(s).split()) in words
    if s.default not in (None, {}) and not s.from_optimizer:
        assert f"default: {s.default_text()}" in words
    value = sample(s)
    line = ["net", "--data", "moons", *([s.flag] + s.format(value) if s.kind != BOOL else
                                        [s.flag if value else "--no-" + s.flag[2:]])]
    args = parser.parse_args(line)
    assert cli.config_settings(args) == {s.name: value}


@pytest.mark.parametrize("s", PLAIN, ids=lambda s: s.name)
def test_the_panel_control_agrees_with_the_setting(s):
    d = Dashboard()
    try:
        if s.missing_from("panel"):
            assert s.name not in d.settings.controls
            return
        control = d.settings.controls[s.name]
        shown = control.value
        if s.from_optimizer:  # None: the control shows the chosen optimizer's own value
            takers = [optimizers.kind("adam"), *optimizers.registry.records()]
            assert shown == next(k.defaults[s.name] for k in takers if s.name in k.defaults)
        elif s.name == "batch_size":
            assert shown == 32
        else:
            assert shown == s.default, s.name
        widget = control.inner.widget if hasattr(control, "inner") else control.widget
        if s.kind == CHOICE and not s.many and hasattr(widget, "options") and not isinstance(widget.options, tuple) \
                or s.kind == CHOICE and hasattr(widget, "options") and s.name in ("optimizer", "loss"):
            assert [o for o in widget.options if o != "default"] == s.choice_names()
        if s.kind in (INT, FLOAT) and hasattr(widget, "min") and s.control != "log":
            if s.low is not None:
                assert widget.min == s.low
            if s.high is not None and not s.high_open:
                assert widget.max == s.high
            if s.high is not None and s.high_open:
                assert widget.max < s.high
        control.show(sample(s))  # what the control shows becomes the config's value
        d.setting_changed(s.name)
        extra = CONTEXT.get(s.name, {})
        if not extra:
            assert getattr(d.config, s.name) == sample(s), d.message.value
    finally:
        d.close()


@pytest.mark.parametrize("s", PLAIN, ids=lambda s: s.name)
def test_liveness_train_line_and_json_agree_with_the_setting(s):
    value = sample(s)
    extra = dict(CONTEXT.get(s.name, {}))
    config = Config(network=NET, data="moons", **{"epochs": 1, **extra, s.name: value}).validate()
    assert Config.from_dict(json.loads(json.dumps(config.to_dict()))).to_dict() == config.to_dict()
    if not s.missing_from("command"):
        line = train_command(config, "net")
        command, args = cli.parse(line[len("%nbdl "):])
        assert cli.config_settings(args)[s.name] == value
    run = nbdl.Run(Config(network=NET, data="moons", **{"epochs": 1, **extra}))
    if s.live:
        assert s.name in LIVE
        run.update(**{s.name: value})
        assert getattr(run.config, s.name) == value
        if s.from_optimizer and s.name in run.optimizer.param_groups[0]:
            assert run.optimizer.param_groups[0][s.name] == value
    else:
        with pytest.raises(nbdl.NbdlError, match="cannot change during a run"):
            run.update(**{s.name: value})


def test_every_data_set_option_has_a_flag_help_and_control():
    flags, help_text = cli.flags("train"), " ".join(cli.build_parsers()["train"].format_help().split())
    data_help = cli.data_help()
    for record in datasets.registry.records():
        assert record.name in data_help and record.help in data_help
        for opt in record.options:
            assert "--" + opt.name.replace("_", "-") in flags
            assert f"{record.name} {opt.default_text()}" in help_text or opt.default is None
        d = Dashboard(data=record.name) if record.name != "text" else None
        if d is None:
            continue
        try:
            assert {name: c.value for name, c in d.settings.option_controls.items()} == \
                {o.name: o.default for o in record.options}
        finally:
            d.close()


def test_each_data_set_record_tells_the_truth_about_its_data():
    small = {"adding": {"n": 50}, "text": {"n": 20, "chars": 2000}}
    for record in datasets.registry.records():
        options = record.settle(small.get(record.name, {}))
        data = datasets.load(record.name, **small.get(record.name, {}))
        assert data.task == record.task and data.target_width == record.width(options), record.name
        assert data.sample_shape == record.shape(options), record.name
        assert data.ordered == record.ordered and data.tokens == record.tokens


@pytest.mark.parametrize("cls", layers.registry.records(), ids=lambda c: c.type)
def test_every_layer_option_round_trips_through_text_json_and_its_row(cls):
    example = nbdl.NetworkSpec.parse(cls.example).layers[0]
    assert cls.synopsis().startswith(cls.type) and cls.help and cls.color.startswith("#")
    assert type(example).from_words(example.to_text().split()[1:]) == example
    values = example.to_dict()
    assert layers.registry.get(values.pop("type")).from_dict(values) == example
    if cls.type == "input":
        return
    row = LayerRow(example, lambda: None, lambda row: None)
    try:
        assert set(row.controls) == {o.name for o in cls.options()}
        assert row.layer() == example
    finally:
        row.close()


def test_every_registry_has_one_shape_and_one_error():
    from nbdl.core import activations, augment, init, losses

    registries = [activations.registry, init.registry, optimizers.registry, optimizers.schedules, losses.registry,
                  layers.registry, augment.registry, datasets.registry]
    for registry in registries:
        names = registry.names()
        assert names == sorted(names) and len(registry) == len(names)
        for name in names:
            assert registry.get(name) is registry.get(name.upper())
        with pytest.raises(nbdl.NbdlError, match=f"unknown {registry.kind} 'nope'; choose one of: {', '.join(names)}$"):
            registry.get("nope")
