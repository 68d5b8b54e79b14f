"""The meta-learning core: task families, MAML's gradient against an unrolled autograd graph, settings."""
import threading
import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from nbdl.core.errors import NbdlError
from nbdl.core.meta import MetaRun, meta
from nbdl.core.meta_methods import Batch, maml_loss, methods
from nbdl.core.meta_tasks import Digits, Task, families

SINE = "input 1\ndense 40 relu\ndense 40 relu\ndense 1"
SMALL = "input 1\ndense 8 tanh\ndense 1"
DIGITS = "input 64\ndense 32 relu\ndense 5"


def test_sinusoid_tasks_are_finns():
    family, random = families.get("sinusoid").make(5), np.random.default_rng(0)
    tasks = [family.sample(random, shots=10, queries=7) for _ in range(500)]
    t = tasks[0]
    assert t.x_support.shape == t.y_support.shape == (10, 1) and t.x_query.shape == (7, 1)
    assert t.x_support.dtype == torch.float32 and t.family == "sinusoid" and t.shots == 10
    amplitudes, phases = np.array([t.amplitude for t in tasks]), np.array([t.phase for t in tasks])
    xs = torch.cat([torch.cat([t.x_support, t.x_query]) for t in tasks]).numpy()
    assert 0.1 <= amplitudes.min() < 0.3 and 4.8 < amplitudes.max() <= 5
    assert 0 <= phases.min() < 0.1 and np.pi - 0.1 < phases.max() <= np.pi
    assert -5 <= xs.min() < -4.9 and 4.9 < xs.max() <= 5
    x = t.x_query.numpy()[:, 0]
    assert np.allclose(t.y_query.numpy()[:, 0], t.amplitude * np.sin(x - t.phase), atol=1e-5)
    assert np.allclose(t.curve(x), t.y_query.numpy()[:, 0], atol=1e-5)


def test_digits_episodes_hold_out_the_test_classes():
    family, random = families.get("digits").make(5), np.random.default_rng(0)
    assert len(family.train_classes) == 12 and len(family.test_classes) == 8
    seen = set()
    for _ in range(200):
        t = family.sample(random, shots=3, queries=4)
        assert t.x_support.shape == (15, 64) and t.x_query.shape == (20, 64)
        assert t.y_support.tolist() == [c for c in range(5) for _ in range(3)] and t.shots == 3
        seen.update(t.classes)
    assert seen == {Digits.class_name(c) for c in family.train_classes}
    assert not any(name.split()[0] in "6789" for name in seen)
    test = family.sample(random, shots=1, queries=2, test=True)
    assert all(name.split()[0] in "6789" for name in test.classes)
    pixels = np.concatenate([family.images[c] for c in family.train_classes])
    assert abs(pixels.mean()) < 1e-4  # standardised with the meta-training images only


def test_digits_quarter_turns_are_classes_of_their_own():
    family = families.get("digits").make(2)
    upright, turned = family.images[(3, 0)], family.images[(3, 1)]
    raw = lambda x: (x * family.deviation + family.mean).reshape(-1, 8, 8)  # noqa: E731
    assert np.allclose(np.rot90(raw(upright), 1, axes=(1, 2)), raw(turned), atol=1e-4)


def test_every_bad_setting_is_named_together():
    with pytest.raises(NbdlError) as error:
        meta(SINE, tasks="sine", method="mamll", shots=0, inner_lr=-1, meta_batch=0, ways=99, fit=False)
    text = str(error.value)
    for word in ("sine", "mamll", "shots", "inner_lr", "meta_batch", "ways", "sinusoid", "reptile"):
        assert word in text
    with pytest.raises(NbdlError, match="takes no steps"):
        meta(SINE, steps=3, fit=False)
    with pytest.raises(NbdlError, match="text form"):
        meta(torch.nn.Linear(1, 1), fit=False)


@pytest.mark.parametrize("network, tasks, words", [
    ("input 2\ndense 40 relu\ndense 1", "sinusoid", ["takes 2 inputs", "1 input", "'input 1'"]),
    ("input 1\ndense 40 relu\ndense 3", "sinusoid", ["gives 3 outputs", "1 output", "'dense 1'"]),
    ("input 64\ndense 32 relu\ndense 10", "digits", ["gives 10 outputs", "5 outputs (the ways)", "'dense 5'"]),
])
def test_a_network_that_does_not_fit_the_tasks_is_named_with_the_fix(network, tasks, words):
    with pytest.raises(NbdlError) as error:
        meta(network, tasks=tasks, fit=False)
    for word in words:
        assert word in str(error.value)


def test_defaults_come_from_the_method_and_the_family():
    maml = meta(SINE, fit=False).settings
    assert (maml["inner_steps"], maml["inner_lr"], maml["lr"]) == (1, 0.01, 1e-3)
    reptile = meta(DIGITS, tasks="Digits", method="REPTILE", inner_steps=3, fit=False).settings
    assert (reptile["inner_steps"], reptile["inner_lr"], reptile["lr"], reptile["tasks"]) == (3, 0.1, 0.1, "digits")
    assert methods.names() == ["maml", "pretrain", "reptile"]


def _batch(n=3, seed=1):
    family, random = families.get("sinusoid").make(5), np.random.default_rng(seed)
    return Batch.of([family.sample(random, shots=5, queries=6) for _ in range(n)])


def _unrolled(model, batch, lr, steps, first_order):
    """MAML written out with torch.autograd: per task, SGD steps on the shots, then the query loss."""
    weights = list(model.layers.parameters())
    names = [name for name, _ in model.layers.named_parameters()]
    losses = []
    for i in range(len(batch.x_support)):
        fast = weights
        for _ in range(steps):
            out = torch.func.functional_call(model.layers, dict(zip(names, fast)), (batch.x_support[i],))
            grads = torch.autograd.grad(F.mse_loss(out, batch.y_support[i]), fast, create_graph=not first_order)
            fast = [w - lr * g for w, g in zip(fast, grads)]
        out = torch.func.functional_call(model.layers, dict(zip(names, fast)), (batch.x_query[i],))
        losses.append(F.mse_loss(out, batch.y_query[i]))
    total = torch.stack(losses).mean()
    return total, torch.autograd.grad(total, weights)


@pytest.mark.parametrize("steps", [1, 2])
@pytest.mark.parametrize("first_order", [False, True])
def test_maml_gradient_matches_an_unrolled_autograd_graph(steps, first_order):
    run, batch = meta(SMALL, fit=False), _batch()
    expected_loss, expected = _unrolled(run.model, batch, 0.3, steps, first_order)
    loss = maml_loss(run.model.layers, batch, "mse", steps, 0.3, first_order)
    got = torch.autograd.grad(loss, list(run.model.layers.parameters()))
    assert float(loss.detach()) == pytest.approx(float(expected_loss.detach()), rel=1e-5)
    for g, e in zip(got, expected):
        assert torch.allclose(g, e, rtol=1e-4, atol=1e-6)


def test_first_order_differs_from_second_order():
    run, batch = meta(SMALL, fit=False), _batch()
    weights = list(run.model.layers.parameters())
    second = torch.autograd.grad(maml_loss(run.model.layers, batch, "mse", 1, 0.3, False), weights)
    first = torch.autograd.grad(maml_loss(run.model.layers, batch, "mse", 1, 0.3, True), weights)
    assert max(float((a - b).abs().max()) for a, b in zip(first, second)) > 1e-3


def test_one_maml_iteration_is_one_adam_step_on_the_meta_gradient():
    run = meta(SMALL, meta_batch=3, shots=5, queries=6, inner_lr=0.3, lr=0.01, seed=1, fit=False)
    before = [w.detach().clone() for w in run.model.parameters()]
    random = np.random.default_rng(1)  # the run's task stream, drawn again
    batch = Batch.of([run.family.sample(random, 5, 6) for _ in range(3)])
    _, grads = _unrolled(run.model, batch, 0.3, 1, False)
    run.fit(iterations=1)
    for w, b, g in zip(run.model.parameters(), before, grads):  # Adam's first step moves each weight by lr
        step = -0.01 * g / (g.abs() + 1e-8)
        assert torch.allclose(w.detach() - b, step, atol=1e-5)


def test_adapt_leaves_the_model_and_matches_plain_sgd():
    run = meta(SINE, iterations=5, every=5)
    task = run.new_task(seed=3)
    before = {k: v.clone() for k, v in run.model.state_dict().items()}
    same = run.adapt(task, steps=0)
    assert all(torch.equal(same.state_dict()[k], v) for k, v in before.items()) and same is not run.model
    tuned = run.adapt(task, steps=2)
    assert all(torch.equal(run.model.state_dict()[k], v) for k, v in before.items())
    reference = [w.detach().clone().requires_grad_() for w in run.model.layers.parameters()]
    names = [n for n, _ in run.model.layers.named_parameters()]
    for _ in range(2):
        out = torch.func.functional_call(run.model.layers, dict(zip(names, reference)), (task.x_support,))
        grads = torch.autograd.grad(F.mse_loss(out, task.y_support), reference)
        reference = [(w - 0.01 * g).detach().requires_grad_() for w, g in zip(reference, grads)]
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(tuned.layers.parameters(), reference))
    x = np.linspace(-5, 5, 7)
    assert run.predict(x).shape == (7,) and not np.allclose(run.predict(x), run.predict(x, model=tuned))
    assert run.adapt(4).training is not None and run.adapt((x[:3], np.sin(x[:3]))) is not None
    with pytest.raises(NbdlError, match="steps"):
        run.adapt(task, steps=-1)


def test_evaluate_tasks_is_reproducible_and_agrees_with_adapt():
    run = meta(SINE, iterations=20, every=10)
    first = run.evaluate_tasks(n=5, shots=10, steps=(0, 1, 10), seed=7)
    assert first == run.evaluate_tasks(n=5, shots=10, steps=(0, 1, 10), seed=7)
    assert list(first) == [0, 1, 10] and first != run.evaluate_tasks(n=5, steps=(0, 1, 10), seed=8)
    one = run.evaluate_tasks(n=1, shots=10, steps=(0, 3), seed=7)
    task = run.new_task(seed=7, shots=10)  # evaluate_tasks(seed=7) scores the tasks new_task(seed=7) draws
    for steps in (0, 3):
        mse = np.mean((run.predict(task.x_query, run.adapt(task, steps)) - task.y_query.numpy()[:, 0]) ** 2)
        assert one[steps] == pytest.approx(mse, rel=1e-4)


def test_digits_evaluation_gives_accuracies_and_a_scratch_baseline():
    run = meta(DIGITS, tasks="digits", shots=1, iterations=3, meta_batch=2, every=1)
    assert run.history["iteration"] == [1.0, 2.0, 3.0] and len(run.history["loss"]) == 3
    result = run.evaluate_tasks(n=4, shots=1, steps=(0, 2), seed=1)
    assert set(result) == {0, 2, "scratch"} and set(result["scratch"]) == {0, 2, 100}
    assert all(0 <= v <= 1 for v in [result[0], result[2], *result["scratch"].values()])
    task = run.new_task(seed=2)
    assert run.predict(task.x_query).shape == (5 * run.family.eval_queries, 5)


def test_every_method_runs_and_calls_back():
    rows = []
    for name in methods.names():
        run = meta(SMALL, method=name, iterations=4, every=2, meta_batch=2, callbacks=lambda r, row: rows.append(row))
        assert run.status == "finished" and run.iteration == 4 and name in repr(run)
    assert len(rows) == 6 and set(rows[0]) == {"iteration", "loss", "seconds"}


def test_runs_reproduce_with_a_seed():
    a, b = (meta(SMALL, method="reptile", iterations=5, meta_batch=2, seed=4) for _ in range(2))
    assert a.history["loss"] == b.history["loss"]
    assert all(torch.equal(x, y) for x, y in zip(a.model.parameters(), b.model.parameters()))


def test_a_fit_stops_from_a_thread_and_on_ctrl_c():
    run = meta(SMALL, iterations=100_000, every=50, fit=False)
    assert isinstance(run, MetaRun) and run.status == "new"
    threading.Timer(0.3, run.stop).start()
    run.fit()
    assert run.status == "stopped" and 0 < run.iteration < 100_000
    assert run.history["iteration"][-1] == run.iteration

    def interrupt(run, row, said=[]):
        if not said:
            said.append(True)
            raise KeyboardInterrupt
    run.fit(iterations=200, callbacks=[interrupt])
    assert run.status == "interrupted" and run.history["iteration"][-1] == run.iteration


def test_pause_holds_the_loop_until_resume():
    run = meta(SMALL, iterations=100_000, every=10, fit=False)
    worker = threading.Thread(target=run.fit)
    worker.start()
    try:
        deadline = time.time() + 10
        while run.iteration < 3 and time.time() < deadline:
            time.sleep(0.01)
        run.pause()  # as a supervised run's: a pause holds a fit under way (a new fit starts unpaused)
        time.sleep(0.05)  # the current iteration ends
        paused_at = run.iteration
        time.sleep(0.3)
        assert worker.is_alive() and run.iteration == paused_at and run.status == "training"
        run.resume()
        deadline = time.time() + 10
        while run.iteration < paused_at + 3 and time.time() < deadline:
            time.sleep(0.01)
        assert run.iteration >= paused_at + 3
    finally:
        run.stop()
        worker.join(20)
    assert run.status == "stopped" and run.history["iteration"][-1] == run.iteration


def test_task_curve_is_only_for_regression():
    task = Task(*(torch.zeros(1, 1) for _ in range(4)), family="digits")
    with pytest.raises(AttributeError, match="classification"):
        task.curve(np.zeros(2))


def test_a_diverging_meta_training_stops_and_names_the_learning_rates():
    run = meta("input 1\ndense 40 relu\ndense 40 relu\ndense 1", iterations=200, lr=1e6, every=50)
    assert run.status == "stopped" and run.iteration < 200
    assert run.stop_reason.startswith("diverged: the meta-training loss") and "lr or inner_lr" in run.stop_reason


def test_adaptation_takes_a_learning_rate_of_its_own():
    run = meta(SMALL, iterations=20, every=10)
    task = run.new_task(seed=3)
    default, slow = run.adapt(task, steps=1), run.adapt(task, steps=1, inner_lr=0.001)
    by_hand = run.adapt(task, steps=1, inner_lr=0.001, model=run.model)
    moved = [(a - b).abs().max().item() for a, b in zip(default.parameters(), run.model.parameters())]
    moved_slowly = [(a - b).abs().max().item() for a, b in zip(slow.parameters(), run.model.parameters())]
    assert max(moved_slowly) == pytest.approx(max(moved) / 10, rel=1e-3)  # SGD: the step scales with the rate
    assert all(torch.equal(a, b) for a, b in zip(slow.parameters(), by_hand.parameters()))
    assert run.evaluate_tasks(n=5, steps=(0, 1), inner_lr=0.001)[0] == run.evaluate_tasks(n=5, steps=(0, 1))[0]
    assert run.evaluate_tasks(n=5, steps=(1,), inner_lr=0.001) != run.evaluate_tasks(n=5, steps=(1,))
    with pytest.raises(NbdlError, match="inner_lr"):
        run.adapt(task, inner_lr=-1)


def test_new_tasks_never_repeat_the_meta_training_tasks_of_the_same_seed():
    run = meta(SMALL, seed=0, fit=False)
    trained = run.family.sample(np.random.default_rng(0), 10, 10)  # the run's first meta-training task
    for task in (run.new_task(seed=0), run.new_task()):  # evaluate_tasks(seed=0) starts with the first
        assert task.amplitude != trained.amplitude
        assert not torch.equal(task.x_support, trained.x_support)
