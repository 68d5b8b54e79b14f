"""The dashboard opened from a teacher's preset (fixed controls disabled, hidden ones not shown, the
note on top) and from a share string (the same settings again), in Python and through the magic."""
import json
import sys
from pathlib import Path

import pytest

from nbdl.core import NbdlError
from nbdl.widgets import Dashboard

EXAMPLE = Path(__file__).parents[2] / "notebooks" / "presets" / "vanishing_gradients.json"
PRESET = {"title": "Rates <and> momentum", "note": "Change the epochs.\n\nNothing else.",
          "settings": {"network": ["input 2", "dense 6 sigmoid", "dense 2 softmax"], "data": "circles",
                       "optimizer": "sgd", "lr": 0.3, "epochs": 4},
          "fixed": ["lr", "network", "optimizer"], "hidden": ["momentum", "l2", "data"]}


def _all_disabled(widget):
    own = [widget.disabled] if widget.has_trait("disabled") else []
    return own + [d for child in getattr(widget, "children", ()) for d in _all_disabled(child)]


def test_a_preset_opens_with_its_settings_fixed_and_hidden():
    d = Dashboard(preset=PRESET)
    try:
        assert (d.config.data, d.config.optimizer, d.config.lr, d.config.epochs) == ("circles", "sgd", 0.3, 4)
        assert d.config.network.to_text().splitlines()[1] == "dense 6 sigmoid"
        for name in ("lr", "optimizer"):
            assert all(_all_disabled(d.settings.controls[name].widget)), name
        rows = _all_disabled(d.layers.widget)
        assert rows and all(rows) and d.template.disabled
        assert not any(_all_disabled(d.settings.controls["epochs"].widget))
        assert not d.settings.controls["momentum"].visible  # sgd takes momentum: shown without the preset
        assert not d.settings.controls["l2"].visible and d.data_choice.layout.display == "none"
        assert d.settings.controls["epochs"].visible and d.settings.controls["l1"].visible
        assert "<h3" in d.notice.value and "Rates &lt;and&gt; momentum" in d.notice.value
        assert d.notice.value.count("<p>") == 2 and d.notice.layout.display is None
        d.settings.controls["epochs"].widget.value = 9  # a free control works, and the panel redraws
        assert d.config.epochs == 9 and not d.settings.controls["momentum"].visible
        d.use("moons")  # new layer rows for new data: still fixed
        assert all(_all_disabled(d.layers.widget))
    finally:
        d.close()
    plain = Dashboard()
    try:
        assert plain.notice.layout.display == "none" and not any(_all_disabled(plain.settings.controls["lr"].widget))
    finally:
        plain.close()


def test_a_fixed_rate_survives_a_change_of_optimizer():
    d = Dashboard(preset={"settings": {"optimizer": "sgd", "lr": 0.3}, "fixed": ["lr"]})
    try:
        d.settings.controls["optimizer"].widget.value = "adam"
        assert (d.config.optimizer, d.config.lr) == ("adam", 0.3)
    finally:
        d.close()


def test_the_example_preset_opens():
    d = Dashboard(preset=str(EXAMPLE))
    try:
        assert d.config.diagnostics and d.config.init == "xavier" and d.config.data_options == {"noise": 0.2}
        assert sum(line.endswith("sigmoid") for line in d.config.network.to_text().splitlines()) == 5
        assert d.settings.controls["lr"].widget.disabled and not d.settings.controls["dropout"].visible
        assert not any(_all_disabled(d.layers.widget))  # the depth is the students' to change
    finally:
        d.close()


def test_a_share_string_round_trips_through_the_panel():
    a = Dashboard(data="circles", data_options={"noise": 0.15})
    try:
        controls = a.settings.controls
        controls["optimizer"].widget.value = "sgd"
        controls["lr"].widget.value = 0.2
        controls["momentum"].widget.value = 0.5
        controls["epochs"].widget.value = 7
        controls["standardize"].widget.value = False
        controls["dropout"].switch.value = True
        text = a.share_field.value
        assert text == a.share() and text.startswith("nbdl1.")
        b = Dashboard.from_share(text)
        try:
            assert b.config.to_dict() == a.config.to_dict()
            assert (b.config.optimizer, b.config.momentum, b.config.dropout) == ("sgd", 0.5, a.config.dropout)
            assert b.settings.controls["epochs"].value == 7 and b.data_choice.value == "circles"
            assert b.share_field.value == text
        finally:
            b.close()
    finally:
        a.close()
    with pytest.raises(NbdlError, match="damaged"):
        Dashboard.from_share(text[:-4])


def test_own_data_has_no_share_string_and_a_bad_preset_is_refused():
    import numpy as np

    X = np.random.default_rng(0).normal(size=(30, 2))
    d = Dashboard(data=(X, (X[:, 0] > 0).astype(int)))
    try:
        assert d.share_field.value.startswith("(no share string: ")
    finally:
        d.close()
    with pytest.raises(NbdlError, match="2 problems in the preset"):
        Dashboard(preset={"settings": {"lr": 0}, "hidden": ["nope"]})


@pytest.mark.slow
def test_the_magic_opens_a_preset_and_a_share_string(tmp_path):
    sys.path.insert(0, str(Path(__file__).parents[1] / "jupyter"))
    from kernel import Kernel

    path = tmp_path / "preset.json"
    path.write_text(json.dumps(PRESET))
    kernel = Kernel(tmp_path)
    try:
        assert kernel.run("%load_ext nbdl").status == "ok"
        result = kernel.run(f"%nbdl dashboard --preset {path} --epochs 6 --noise 0.05 --as p")
        assert result.status == "ok", result.text
        assert kernel.value("(p.config.data, p.config.lr, p.config.epochs, p.config.data_options)") == \
            ("circles", 0.3, 6, {"noise": 0.05})
        assert kernel.value("(p.settings.controls['lr'].widget.disabled, p.settings.controls['l2'].visible)") == \
            (True, False)
        text = kernel.value("p.share()")
        result = kernel.run(f"%nbdl dashboard --share {text} --as q")
        assert result.status == "ok", result.text
        assert kernel.value("q.config.to_dict() == p.config.to_dict()") is True
        bad = kernel.run(f"%nbdl dashboard --share {text[:-5]}")
        assert bad.status == "error" and "the share string is damaged" in bad.text
        assert "Traceback" not in bad.text
        kernel.run("p.close(); q.close()")
    finally:
        kernel.close()
