"""Transfer learning: a trained body under a new head, frozen parts that stay put, curves compared."""
import pytest
import torch

import nbdl
from nbdl.plots.compare import compare_figure
from nbdl.plots.render import figure_png

CNN = ("input 1x8x8\nconv 8 3 relu padding=1\nmaxpool 2\nflatten\ndense 32 relu\ndense 5 softmax")


@pytest.fixture(scope="module")
def digits():
    return nbdl.data.load("digits_images")


@pytest.fixture(scope="module")
def source(digits):
    return nbdl.train(CNN, data=nbdl.data.select(digits, classes=[0, 1, 2, 3, 4]), epochs=15, lr=3e-3, seed=0)


def test_select_takes_classes_relabels_them_and_limits_their_count(digits):
    few = nbdl.data.select(digits, classes=[5, 6, 7, 8, 9], per_class=4, seed=1)
    assert len(few) == 20 and few.n_classes == 5 and few.class_names == ["5", "6", "7", "8", "9"]
    assert sorted(few.class_counts().values()) == [4] * 5
    with pytest.raises(nbdl.NbdlError, match=r"a class of 'digits_images' must be a whole number in \[0, 9\], got 12"):
        nbdl.data.select(digits, classes=[5, 12])


def test_a_new_head_keeps_the_trained_body(source):
    new = nbdl.with_new_head(source.model, 5)
    old, fresh = list(source.model.parameters()), list(new.parameters())
    assert all(torch.equal(a, b) for a, b in zip(old[:-2], fresh[:-2]))
    assert not torch.equal(old[-2], fresh[-2])  # the head starts anew
    assert new.spec.to_text() == source.model.spec.to_text()
    assert nbdl.with_new_head(source.model, 3).output_shape == (3,)


def test_frozen_parts_do_not_move_and_the_rest_learns(source, digits):
    target = nbdl.data.select(digits, classes=[5, 6, 7, 8, 9])
    network = nbdl.with_new_head(source.model, 5)
    before = [p.detach().clone() for p in network.parameters()]
    run = nbdl.train(network, data=target, freeze="body", epochs=5, lr=3e-3, l2=1e-3)
    after = list(run.model.parameters())
    assert all(torch.equal(a, b) for a, b in zip(before[:-2], after[:-2])), "a frozen weight moved"
    assert not torch.equal(before[-2], after[-2])
    assert run.evaluate("test")["accuracy"] > 0.5  # chance is 0.2: the head learns the new classes from old features
    nbdl.unfreeze(run.model)
    assert all(p.requires_grad for p in run.model.parameters())


@pytest.mark.parametrize("which, frozen", [("0", [True, True, False, False, False, False]),
                                           ("0,3", [True, True, True, True, False, False]),
                                           ("-1", [False, False, False, False, True, True]),
                                           ("body", [True, True, True, True, False, False])])
def test_freeze_by_block_number_or_body(source, which, frozen):
    network = nbdl.with_new_head(source.model, 5)
    nbdl.freeze(network, which)
    assert [not p.requires_grad for p in network.parameters()] == frozen


def test_freeze_by_module_name_and_bad_names():
    model = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    nbdl.freeze(model, "0")
    assert [p.requires_grad for p in model.parameters()] == [False, False, True, True]
    with pytest.raises(nbdl.NbdlError, match=r"no layer 'encoder' to freeze; give block numbers, 'body', or module names such as: 0, 1, 2"):
        nbdl.freeze(model, "encoder")
    with pytest.raises(nbdl.NbdlError, match=r"no block 9: the network has blocks 0..4"):
        nbdl.freeze(nbdl.build(CNN), 9)


def test_transfer_and_scratch_curves_on_one_picture(source, digits):
    few = nbdl.data.select(digits, classes=[5, 6, 7, 8, 9])
    settings = dict(data=few, epochs=4, lr=3e-3, val_split=0.9, test_split=0.0, seed=0)
    runs = {"transfer (frozen body)": nbdl.train(nbdl.with_new_head(source.model, 5), freeze="body", **settings),
            "from scratch": nbdl.train(CNN, **settings)}
    figure = compare_figure(runs)
    lines = figure.axes[1].get_lines()
    assert [line.get_label() for line in lines] == list(runs)
    assert list(lines[0].get_ydata()) == runs["transfer (frozen body)"].history["val_acc"]
    assert figure_png(figure).startswith(b"\x89PNG")


def test_a_new_head_is_drawn_from_its_seed_not_from_the_global_generator():
    body = nbdl.build("input 4\ndense 8 relu\ndense 3")
    torch.manual_seed(1)
    first = nbdl.with_new_head(body, 2)
    torch.manual_seed(2)  # whatever drew from the global generator before, the same call gives the same head
    again = nbdl.with_new_head(body, 2)
    other = nbdl.with_new_head(body, 2, seed=5)
    assert all(torch.equal(a, b) for a, b in zip(first.parameters(), again.parameters()))
    assert not torch.equal(first.layers[-1][0].weight, other.layers[-1][0].weight)
    assert torch.equal(first.layers[0][0].weight, body.layers[0][0].weight)  # the body keeps its weights
