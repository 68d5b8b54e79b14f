"""The activation picture: every curve drawn as computed, regions shaded and labelled off the curves,
text large enough to read at the size shown, and the legend over no panel."""
import numpy as np
import pytest

import nbdl
from nbdl.plots.activations import activation_figure
from nbdl.plots.render import SMALLEST, figure_png, shown_width, text_sizes


@pytest.fixture(scope="module")
def drawn():
    curves = nbdl.activation_curves(slope=0.0, alpha=0.5)
    figure = activation_figure(curves)
    png = figure_png(figure)
    return curves, figure, png


def _panels(figure):
    return [ax for ax in figure.axes if ax.get_visible()]


def test_one_panel_per_activation_with_value_solid_and_derivative_dashed(drawn):
    curves, figure, _ = drawn
    panels = _panels(figure)
    assert [ax.get_title() for ax in panels] == [c.label for c in curves.curves]
    for ax, curve in zip(panels, curves.curves):
        value, derivative = ax.lines[:2]
        np.testing.assert_array_equal(value.get_ydata(), curve.value)
        np.testing.assert_array_equal(derivative.get_ydata(), curve.derivative)
        assert value.get_linestyle() == "-" and derivative.get_linestyle() == "--"
        low, high = ax.get_ylim()
        assert low <= min(curve.value.min(), curve.derivative.min()) and high >= max(curve.value.max(),
                                                                                     curve.derivative.max())


def test_regions_are_shaded_where_the_curves_say_and_labelled_off_the_curves(drawn):
    curves, figure, _ = drawn
    renderer = figure.canvas.get_renderer()
    labelled = {}
    for ax, curve in zip(_panels(figure), curves.curves):
        spans = sorted((round(p.get_x(), 9), round(p.get_x() + p.get_width(), 9)) for p in ax.patches)
        expected = sorted((round(a, 9), round(b, 9)) for a, b in curve.saturated + curve.zero_gradient)
        assert spans == expected, curve.name
        words = [t for t in ax.texts if t.get_text() in ("saturated", "gradient 0")]
        labelled[curve.name] = len(words)
        for word in words:
            box = word.get_window_extent(renderer)
            for line in ax.lines[:2]:  # no point of either curve inside the label
                points = ax.transData.transform(np.column_stack([line.get_xdata(), line.get_ydata()]))
                inside = ((points[:, 0] > box.x0) & (points[:, 0] < box.x1) &
                          (points[:, 1] > box.y0) & (points[:, 1] < box.y1))
                assert not inside.any(), f"{curve.name}: '{word.get_text()}' lies over a curve"
    assert labelled["sigmoid"] == 2 and labelled["tanh"] == 2
    assert labelled["relu"] == labelled["leaky_relu"] == 1  # the leaky slope is 0 here
    assert labelled["elu"] == labelled["gelu"] == labelled["linear"] == 0


def test_text_is_at_least_12_pixels_and_the_legend_covers_no_panel(drawn):
    _, figure, png = drawn
    assert shown_width(png) <= 820, "wider than a notebook's output area: it would be shrunk"
    sizes = text_sizes(figure)
    words = " ".join(text for text, _ in sizes)
    assert len(sizes) > 40 and "softmax is a vector function" in words and "equals sigmoid(x)" in " ".join(words.split())
    assert [(text, size) for text, size in sizes if size < SMALLEST] == []
    renderer = figure.canvas.get_renderer()
    legend = figure.legends[0].get_window_extent(renderer)
    for ax in _panels(figure):
        assert not legend.overlaps(ax.get_tightbbox(renderer))
    assert [t.get_text() for t in figure.legends[0].get_texts()][:2] == ["value f(x)", "derivative f'(x)"]


def test_a_few_activations_make_a_smaller_picture():
    figure = activation_figure(nbdl.activation_curves(only="relu,tanh"))
    assert len(_panels(figure)) == 2
    assert [t.get_text() for t in figure.legends[0].get_texts()] == [
        "value f(x)", "derivative f'(x)", "saturated: f' < 5% of its peak", "zero gradient"]


def test_the_picture_takes_only_curves():
    with pytest.raises(nbdl.NbdlError, match="activation_curves"):
        activation_figure([1, 2])
