"""Share strings and teacher presets: every kind of setting survives the round trip, a damaged or
foreign string is refused in one line, and a bad preset names each of its problems at once."""
import base64
import json
import zlib
from pathlib import Path

import pytest

from nbdl.core import NbdlError, presets
from nbdl.core.config import SETTINGS, Config
from nbdl.core.network import NetworkSpec
from nbdl.core.options import BOOL, CHOICE, FLOAT, INT, PAIR, TEXT

NETWORK = "input 2\ndense 8 sigmoid\ndense 8 tanh\ndense 2 softmax"
EXAMPLE = Path(__file__).parents[2] / "notebooks" / "presets" / "vanishing_gradients.json"

# A value unlike the default for every setting (each checked by its declaration below).
CHANGED = dict(val_split=0.1, test_split=0.15, standardize=False, seed=7, optimizer="sgd", lr=0.05, momentum=0.9,
               betas=(0.8, 0.95), eps=1e-7, weight_decay=0.001, batch_size=64, epochs=3, schedule="cosine", l1=0.001,
               l2=0.01, dropout=0.25, augment="flip,noise", noise_input=0.1, adversarial="fgsm(0.1)", early_stopping=5,
               monitor="val_acc", restore_best=False, init="kaiming", freeze="body", diagnostics=True,
               diagnostics_every=10, loss="mse", device="cpu", threads=1, tensorboard="/tmp/tb")


def test_every_setting_kind_survives_a_share_string():
    kinds = {(s.kind, s.optional, s.many) for s in SETTINGS if s.name in CHANGED}
    for kind in (FLOAT, INT, BOOL, CHOICE, PAIR, TEXT):
        assert any(k[0] == kind for k in kinds), kind
    assert (CHOICE, True, True) in kinds  # a many-choice (augment)
    config = Config(network=NETWORK, data="circles", data_options={"noise": 0.3, "n": 300}, **CHANGED)
    for s in SETTINGS:
        if s.name in CHANGED:
            assert s.check(CHANGED[s.name]) != s.default, s.name
    text = presets.share(config)
    assert text.startswith(presets.PREFIX)
    assert set(text[len(presets.PREFIX):]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    back = presets.unshare(text)
    assert isinstance(back["network"], NetworkSpec) and back["network"].to_text() == NetworkSpec.parse(NETWORK).to_text()
    assert back["betas"] == (0.8, 0.95) and isinstance(back["betas"], tuple)
    assert Config().replace(**back).to_dict() == config.to_dict()


def test_a_share_string_holds_only_what_differs_and_is_short():
    text = presets.share(Config(network=NETWORK, data="moons", lr=0.03))
    body = json.loads(zlib.decompress(base64.urlsafe_b64decode(text[len(presets.PREFIX):] + "==")))
    assert body == {"network": NetworkSpec.parse(NETWORK).to_text(), "data": "moons", "lr": 0.03}
    assert len(text) < 140
    assert presets.unshare(text)["lr"] == 0.03


def test_own_data_or_module_cannot_be_shared():
    import torch

    with pytest.raises(NbdlError, match="your own data"):
        presets.share(Config(network=NETWORK, data=(torch.zeros(4, 2), torch.zeros(4))))
    with pytest.raises(NbdlError, match="torch.nn.Module"):
        presets.share(Config(network=torch.nn.Linear(2, 2), data="moons"))


def _one_line(text):
    with pytest.raises(NbdlError) as caught:
        presets.unshare(text)
    assert "\n" not in str(caught.value)
    return str(caught.value)


def test_damaged_and_foreign_strings_get_one_clear_line():
    good = presets.share(Config(network=NETWORK, data="moons", lr=0.03, epochs=7))
    assert "not an nbdl share string" in _one_line("https://playground.tensorflow.org/#activation=tanh")
    assert "not an nbdl share string" in _one_line(12)
    assert "damaged" in _one_line(good[:-6])  # cut short
    middle = len(presets.PREFIX) + 12
    changed = good[:middle] + ("A" if good[middle] != "A" else "B") + good[middle + 1:]
    assert "damaged" in _one_line(changed)  # one character changed: zlib's checksum fails
    assert "damaged" in _one_line(presets.PREFIX + "!!!")

    def encoded(values):
        raw = zlib.compress(json.dumps(values).encode())
        return presets.PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")

    assert "damaged" in _one_line(encoded([1, 2]))
    words = _one_line(encoded({"lr": -1, "warp": 9}))  # a string from another version, or forged
    assert "'warp'" in words and "'lr' must be a number > 0, got -1" in words


def test_a_preset_is_read_and_checked():
    preset = presets.read_preset({"title": "t", "note": "n", "settings": {"network": NETWORK.split("\n"),
                                  "data": "moons", "data_options": {"noise": 0.1}, "lr": 0.5, "betas": [0.8, 0.9]},
                                  "fixed": ["lr", "network"], "hidden": ["l1"]})
    assert preset.settings["network"].to_text() == NetworkSpec.parse(NETWORK).to_text()
    assert preset.settings["lr"] == 0.5 and preset.settings["betas"] == (0.8, 0.9)
    assert preset.fixed == ("lr", "network") and preset.hidden == ("l1",)


def test_a_bad_preset_names_every_problem_at_once():
    with pytest.raises(NbdlError) as caught:
        presets.read_preset({"title": 3, "settings": {"lr": -1, "optimzer": "adam", "data": "moons",
                                                      "data_options": {"nois": 0.1}, "init": "glorious"},
                             "fixed": ["lrr", "lr"], "hidden": "l1", "teacher": "me"})
    words = str(caught.value)
    assert words.startswith("8 problems in the preset:")
    for part in ("'teacher'", "'title' must be text", "'optimzer'", "'lr' must be a number > 0, got -1",
                 "no option(s) 'nois'", "'init'", "'glorious'", "fixed: unknown or uncontrolled setting(s) 'lrr'",
                 "'hidden' must be a list"):
        assert part in words, part
    # device has no control in the panel: a preset cannot fix or hide it
    with pytest.raises(NbdlError, match="uncontrolled setting.*'device'"):
        presets.read_preset({"fixed": ["device"]})


def test_preset_files(tmp_path):
    assert presets.load_preset(EXAMPLE).fixed  # the example in notebooks/presets reads cleanly
    with pytest.raises(NbdlError, match="no preset file"):
        presets.load_preset(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"title": "x",')
    with pytest.raises(NbdlError, match="is not JSON"):
        presets.load_preset(broken)
    listed = tmp_path / "list.json"
    listed.write_text("[1]")
    with pytest.raises(NbdlError, match="holds a JSON list"):
        presets.as_preset(str(listed))
    with pytest.raises(NbdlError, match="a preset is a Preset"):
        presets.as_preset(3)
