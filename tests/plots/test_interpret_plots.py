"""Pictures of an interpretation: the confusion matrix with each class's accuracy, the wrong images,
saliency and integrated gradients; readable (text >= 12 px where shown, no text over other text)."""
import io
from itertools import combinations

import numpy as np
import pytest
from PIL import Image

import nbdl
from nbdl.core.interpret import Interpretation
from nbdl.plots.interpret import attributions_figure, confusion_figure, mistakes_figure, shown_classes
from nbdl.plots.render import SMALLEST, figure_png, shown_width, text_sizes

CNN = "conv 8 3 relu\nmaxpool 2\nflatten\ndense 10 softmax"


@pytest.fixture(scope="module")
def image_run():
    return nbdl.train(CNN, data="digits_images", epochs=2, lr=0.01, seed=0)


def _readable(figure, path):
    """Draw the figure (kept under /tmp to look at), and check every text is at least SMALLEST px
    where shown and that no two texts overlap."""
    png = figure_png(figure)
    with open(path, "wb") as out:
        out.write(png)
    assert min(size for _, size in text_sizes(figure)) >= SMALLEST
    figure.canvas.draw()  # again at the size shown (figure_png drew it denser)
    renderer = figure.canvas.get_renderer()
    texts = [t for t in figure.findobj(lambda a: hasattr(a, "get_text") and hasattr(a, "get_window_extent"))
             if t.get_visible() and str(t.get_text()).strip()]
    boxes = [(t, t.get_window_extent(renderer)) for t in texts]
    boxes = [(t, box) for t, box in boxes if box.width > 0]
    overlaps = [(a.get_text(), b.get_text()) for (a, box_a), (b, box_b) in combinations(boxes, 2)
                if box_a.overlaps(box_b) and box_a.intersection(box_a, box_b).width > 1
                and box_a.intersection(box_a, box_b).height > 1 and not _apart(a, b, renderer)]
    assert overlaps == []
    picture = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    figure_box = figure.bbox
    for _, box in boxes:  # nothing drawn outside the picture
        assert box.x0 >= -1 and box.y0 >= -1 and box.x1 <= figure_box.x1 + 1 and box.y1 <= figure_box.y1 + 1
    return picture, shown_width(png)


def _apart(a, b, renderer) -> bool:
    """Two labels turned by the same angle (their upright boxes may overlap) whose lines lie at
    least a text's height apart."""
    angle = a.get_rotation()
    if angle == 0 or angle != b.get_rotation():
        return False
    (xa, ya), (xb, yb) = (t.get_transform().transform(t.get_position()) for t in (a, b))
    across = abs((xb - xa) * np.sin(np.radians(angle)) - (yb - ya) * np.cos(np.radians(angle)))
    return across >= renderer.points_to_pixels(max(a.get_fontsize(), b.get_fontsize()))


def test_confusion_figure_for_ten_classes_is_readable(image_run):
    found = image_run.interpret()
    figure = confusion_figure(found)
    picture, width = _readable(figure, "/tmp/nbdl-interpret-confusion10.png")
    assert 400 < width < 900
    matrix, bars = figure.axes
    counts = [int(t.get_text()) for t in matrix.texts]
    assert counts == found.confusion.ravel().tolist()  # every cell labelled with its count, row by row
    assert [p.get_width() for p in bars.patches] == pytest.approx(found.per_class_accuracy.tolist())
    assert picture.std() > 0.05 * 255


def test_confusion_figure_of_many_classes_keeps_the_most_mistaken(tmp_path):
    run = nbdl.train("input 2\ndense 8 relu\ndense 20 softmax", data="blobs",
                     data_options={"classes": 20, "n": 800, "noise": 3.0}, epochs=3, lr=0.01, seed=0)
    found = run.interpret()
    keep = shown_classes(found, 12)
    off = found.confusion - np.diag(np.diag(found.confusion))
    errors = off.sum(axis=0) + off.sum(axis=1)
    assert len(keep) == 12 and errors[keep].min() >= np.delete(errors, keep).max()
    figure = confusion_figure(found, limit=12)
    _readable(figure, "/tmp/nbdl-interpret-confusion20.png")
    assert "the 12 classes most often mistaken of 20" in figure.get_suptitle()
    with pytest.raises(nbdl.NbdlError, match="limit must be a whole number in \\[2, 40\\]"):
        confusion_figure(found, limit=100)


def test_long_class_names_and_dollar_signs_fit():
    found = Interpretation("test", ["malignant tumour", "benign $5"], np.array([[40, 3], [5, 60]]),
                           np.array([40 / 43, 60 / 65]), np.array([43, 65]), 100 / 108, [], (30,))
    _readable(confusion_figure(found), "/tmp/nbdl-interpret-confusion2.png")


def test_mistakes_grid_shows_each_wrong_image_with_its_classes(image_run):
    found = image_run.interpret(count=12)
    figure = mistakes_figure(found)
    _readable(figure, "/tmp/nbdl-interpret-mistakes.png")
    assert len(figure.axes) == 12
    for ax, m in zip(figure.axes, found.mistakes):
        np.testing.assert_allclose(ax.images[0].get_array(), m.x[0])
        assert ax.get_title() == f"true {m.true}\nas {m.predicted} {m.confidence:.0%}"
        assert ax.get_xlabel() == f"#{m.index}"
    iris = nbdl.train("input 4\ndense 3 softmax", data="iris", epochs=2).interpret()
    with pytest.raises(nbdl.NbdlError, match="mistakes_html"):
        mistakes_figure(iris)
    assert "<table class='nbdl-mistakes'>" in iris.mistakes_html() and "petal length (cm)" in iris.mistakes_html()


def test_attributions_figure_has_a_row_per_sample(image_run):
    indices = [m.index for m in image_run.interpret(count=4).mistakes]
    both = [image_run.attributions(indices=indices, method=m) for m in ("saliency", "integrated_gradients")]
    figure = attributions_figure(both)
    _readable(figure, "/tmp/nbdl-interpret-attributions.png")
    assert len(figure.axes) == 4 * 4
    saliency_panel = figure.axes[2]
    np.testing.assert_allclose(saliency_panel.images[0].get_array(), both[0].values[0].max(axis=0))
    assert saliency_panel.get_title().startswith("saliency of ")
    assert figure.axes[3].get_title().startswith("integr. grad. of ")
    one = attributions_figure(both[1])
    _readable(one, "/tmp/nbdl-interpret-gradients.png")
    assert len(one.axes) == 4 * 3
    other = image_run.attributions(indices=[0, 1])
    with pytest.raises(nbdl.NbdlError, match="same samples"):
        attributions_figure([both[0], other])
    with pytest.raises(nbdl.NbdlError, match="takes an Attribution"):
        attributions_figure("saliency")
    with pytest.raises(nbdl.NbdlError, match="takes an Interpretation"):
        confusion_figure(both[0])
