"""Pictures of attacks: the accuracy curves and the image grid, drawn, sized to read, and refused
for what they cannot draw."""
import numpy as np
import pytest

import nbdl
from nbdl.core.adversarial import attack
from nbdl.plots.adversarial import accuracy_figure, examples_figure
from nbdl.plots.render import SMALLEST, figure_png, text_sizes

CNN = "input 1x8x8\nconv 8 3 relu padding=same\nmaxpool 2\nflatten\ndense 10 softmax"


@pytest.fixture(scope="module")
def images():
    run = nbdl.train(CNN, "digits_images", epochs=3, seed=0)
    return attack(run, "fgsm", eps=[1, 2, 3, 4], count=6), attack(run, "pgd", eps=[1, 2], steps=3, count=6)


def test_the_accuracy_curve_has_one_line_per_attack(images, tmp_path):
    figure = accuracy_figure(list(images), labels=["fgsm", "pgd"])
    ax = figure.axes[0]
    lines = [line for line in ax.get_lines() if line.get_label() in ("fgsm", "pgd")]
    assert [list(line.get_xdata()) for line in lines] == [list(r.eps) for r in images]
    assert [list(line.get_ydata()) for line in lines] == [list(r.accuracy) for r in images]
    assert ax.get_xlim()[1] >= 4 and ax.get_ylim() == (0, 1.02)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["fgsm", "pgd", "chance"]
    assert min(size for _, size in text_sizes(figure)) >= SMALLEST
    (tmp_path / "curve.png").write_bytes(figure_png(figure))
    with pytest.raises(nbdl.NbdlError, match="labels must be a list of 2"):
        accuracy_figure(list(images), labels=["one"])


def test_the_grid_shows_clean_changed_and_perturbed_images(images, tmp_path):
    fgsm = images[0]
    figure = examples_figure(fgsm)
    # The clean row, then a change row and a perturbed row for each of the 3 largest epsilons.
    assert len(figure.axes) == 6 * (1 + 2 * 3)
    titles = [ax.get_title() for ax in figure.axes]
    assert titles[0] == f"true {fgsm.labels[0]}"
    assert f"as {fgsm.predicted[-1, 0]}" in titles
    wrong = sum(ax.get_title().startswith("as") and ax.title.get_color() == "#d62728" for ax in figure.axes)
    assert wrong == int((fgsm.predicted[2:] != fgsm.labels).sum())
    assert min(size for _, size in text_sizes(figure)) >= SMALLEST
    (tmp_path / "grid.png").write_bytes(figure_png(figure))
    assert len(examples_figure(fgsm, eps=[2]).axes) == 6 * 3
    with pytest.raises(nbdl.NbdlError, match="eps 5 was not tried"):
        examples_figure(fgsm, eps=[5])


def test_tabular_data_gets_only_the_curve():
    run = nbdl.train("input 64\ndense 32 relu\ndense 10 softmax", "digits", epochs=2, seed=0)
    found = attack(run, eps=[1], count=2)
    assert not found.images and np.isfinite(found.accuracy).all()
    accuracy_figure(found)
    with pytest.raises(nbdl.NbdlError, match="draws images"):
        examples_figure(found)
