"""Meta-learning: ``nbdl.meta(net, tasks="sinusoid", method="maml")`` learns weights that adapt to a
new task from a few shots (Finn et al. 2017's MAML, Nichol et al. 2018's Reptile, or joint pretraining).

Each iteration draws ``meta_batch`` tasks from the family's meta-training tasks and lets the method
(``meta_methods``) set the weights' gradients, which its optimizer applies. Every ``every`` iterations
the run logs a history row (``iteration``, ``loss``, ``seconds``) and calls its callbacks'
``on_epoch_end``. Adapting to a new task is, for every method alike, ``steps`` plain SGD steps of
``inner_lr`` on the task's shots from the meta-learned weights (``adapt``, ``evaluate_tasks``). Ctrl-C,
``stop()`` or ``pause()`` (from another thread) act between two iterations."""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import torch

from . import optimizers, randomness
from .errors import NbdlError, spell
from .looping import Looping, checked, filled, refuse_unknown
from .meta_checks import check_layers, check_sizes, numbers
from .meta_methods import LOSSES, Batch, adapted, methods, parameters, task_loss
from .meta_tasks import CLASSIFICATION, HELD_OUT_CLASSES, Family, Task, families
from .network import Network, text_form
from .options import BOOL, CHOICE, FLOAT, INT, OBJECT, Option, declared, option

SCRATCH_STEPS = 100  # the longer scratch baseline: a fresh network trained this many steps on the shots
TEST_TASKS, NEW_TASKS = 1, 2  # task streams apart from meta-training's default_rng(seed): seeded, unseeded


def task_stream(seed: int, stream: int = TEST_TASKS) -> np.random.Generator:
    """The generator of meta-test tasks for ``seed``: a stream of its own, so that no new task repeats
    the draws (amplitude, phase, shots) of a meta-training task of a run with the same seed."""
    return np.random.default_rng((seed, stream))


@dataclass
class MetaConfig:
    """One meta-learning experiment; settings left at None take the method's or the family's defaults."""

    network: Any = option(None, "the network: text form, such as 'input 1 / dense 40 relu / dense 40 relu / "
                          "dense 1' for sinusoid", kind=OBJECT)
    tasks: str = option("sinusoid", "the task family: sinusoid (regression) or digits (N-way K-shot)",
                        kind=CHOICE, choices=families)
    method: str = option("maml", "maml, reptile or pretrain (joint training: the baseline)", kind=CHOICE,
                         choices=methods)
    shots: int = option(10, "examples of a task to adapt on (per class for digits)", kind=INT, low=1, high=100)
    ways: int = option(5, f"classes per digits task (at most the {HELD_OUT_CLASSES} held-out classes)", kind=INT,
                       low=2, high=HELD_OUT_CLASSES)
    queries: int = option(10, "query points a task is scored on in meta-training (per class for digits)", kind=INT,
                          low=1, high=100)
    inner_steps: int | None = option(None, "SGD steps on a task in meta-training (default: maml 1, reptile 10)",
                                     kind=INT, low=1, high=100, optional=True)
    inner_lr: float | None = option(None, "the SGD learning rate on a task's shots, in meta-training and adapting "
                                    "(default: sinusoid 0.01, digits 0.1)", kind=FLOAT, low=0, low_open=True,
                                    optional=True)
    first_order: bool = option(False, "maml: drop the second derivatives (first-order MAML)", kind=BOOL)
    iterations: int = option(2000, "meta-training iterations (one batch of tasks each)", kind=INT, low=1)
    meta_batch: int = option(25, "tasks per iteration", kind=INT, low=1, high=1000)
    lr: float | None = option(None, "the outer learning rate (default: maml and pretrain Adam 0.001, reptile's "
                              "step size 0.1)", kind=FLOAT, low=0, low_open=True, optional=True)
    every: int = option(100, "iterations between two rows of the history (and pictures)", kind=INT, low=1)
    seed: int = option(0, "the seed of the weights and the tasks", kind=INT, low=0, high=2**32 - 1)


OPTIONS = declared(MetaConfig)
SETTINGS = tuple(o for o in OPTIONS if o.kind != OBJECT)  # what a flag or keyword sets
_ITERATIONS = next(o for o in OPTIONS if o.name == "iterations")
_INNER_LR = next(o for o in OPTIONS if o.name == "inner_lr")


def settled(config: MetaConfig) -> dict[str, Any]:
    """Every setting checked (all problems in one error), the ones left at None filled from the
    method's and the family's defaults."""
    values = checked(config, SETTINGS, "meta-learning settings")
    method, family = methods.get(values["method"]), families.get(values["tasks"])
    values["method"], values["tasks"] = method.name, family.name
    return filled(values, method.defaults, family.make(values["ways"]).defaults)


class MetaRun(Looping):
    """A meta-learning run: ``model``, ``history``, ``fit()``, ``new_task()``, ``adapt()``, ``predict()``,
    ``evaluate_tasks()``."""

    def __init__(self, config: MetaConfig):
        super().__init__()
        self.config = config
        self.settings = settled(config)
        self.family: Family = families.get(self.settings["tasks"]).make(self.settings["ways"])
        self.method = methods.get(self.settings["method"])
        self.spec = text_form(config.network, example="input 1\\ndense 40 relu\\ndense 40 relu\\ndense 1")
        check_sizes(self.spec, self.family)
        seed = self.settings["seed"]
        with randomness.seeded(seed):
            self.model: Network = self.spec.build((self.family.input_size,))
        check_layers(self.spec, self.model, self.family, self.settings)
        self.optimizer = optimizers.make(self.method.optimizer, self.model.parameters(), lr=self.settings["lr"])
        self.random = np.random.default_rng(seed)            # meta-training tasks
        self.test_random = task_stream(seed, NEW_TASKS)      # new_task() without a seed
        self.history: dict[str, list[float]] = {}
        self.iteration = 0

    @property
    def regression(self) -> bool:
        return self.family.kind != CLASSIFICATION

    # -- training --------------------------------------------------------------------------------
    def _batch(self) -> Batch:
        s = self.settings
        return Batch.of([self.family.sample(self.random, s["shots"], s["queries"]) for _ in range(s["meta_batch"])])

    def _iterate(self) -> float:
        self.optimizer.zero_grad(set_to_none=True)
        settings = {**self.settings, "loss": self.family.loss}
        loss = self.method.gradients(self.model.layers, self._batch(), settings)
        self.optimizer.step()
        return loss

    def fit(self, iterations: int | None = None, callbacks: Any = None) -> "MetaRun":
        """Train ``iterations`` more iterations (default: the config's); Ctrl-C stops between them."""
        iterations = self.settings["iterations"] if iterations is None else \
            _ITERATIONS.check(iterations, subject=spell("iterations"))
        losses: list[float] = []

        def step(listeners) -> None:
            losses.append(self._iterate())
            self.iteration += 1
            self.diverged(losses[-1], "the meta-training loss", "try a lower lr or inner_lr")
            if self.iteration % self.settings["every"] == 0:
                self._log(losses, listeners)
                losses.clear()

        def end(listeners) -> None:
            if losses:  # the iterations since the last row
                self._log(losses, listeners)
        self.loop(iterations, step, callbacks, end=end)
        return self

    def _log(self, losses: list[float], listeners) -> None:
        self.seconds = self.elapsed()
        row = {"iteration": float(self.iteration), "loss": float(np.mean(losses)), "seconds": self.seconds}
        for key, value in row.items():
            self.history.setdefault(key, []).append(value)
        for c in listeners:
            c.on_epoch_end(self, row)

    # -- new tasks -------------------------------------------------------------------------------
    def new_task(self, seed: int | None = None, shots: int | None = None) -> Task:
        """A meta-test task (held-out classes for digits) with ``shots`` shots (default: the run's) and the
        family's evaluation query points; ``seed`` makes it reproducible."""
        shots = self.settings["shots"] if shots is None else _option("shots").check(shots, subject="shots")
        random = self.test_random if seed is None else task_stream(_option("seed").check(seed, "seed"))
        return self.family.sample(random, shots, self.family.eval_queries, test=True)

    def _as_shots(self, task_or_shots: Any) -> tuple[torch.Tensor, torch.Tensor]:
        if isinstance(task_or_shots, Task):
            return task_or_shots.x_support, task_or_shots.y_support
        if isinstance(task_or_shots, (int, np.integer)) and not isinstance(task_or_shots, bool):
            task = self.new_task(shots=int(task_or_shots))
            return task.x_support, task.y_support
        if isinstance(task_or_shots, (tuple, list)) and len(task_or_shots) == 2:
            x = self._points(task_or_shots[0], "adapt's x")
            y = numbers(task_or_shots[1], "adapt's y").reshape(-1)
            if len(x) != len(y) or not len(x):
                raise NbdlError(f"adapt got {len(x)} inputs but {len(y)} targets; give as many of each, at least one")
            if self.regression:
                return x, torch.from_numpy(y).reshape(-1, 1)
            ways = self.family.output_size
            if not np.all((y == np.round(y)) & (y >= 0) & (y < ways)):
                bad = next(v for v in y.tolist() if not (v == round(v) and 0 <= v < ways))
                raise NbdlError(f"adapt's y holds the label {bad:g}; the labels of a {ways}-way task are the whole "
                                f"numbers 0 to {ways - 1}")
            return x, torch.from_numpy(y.astype(np.int64))
        raise NbdlError(f"adapt takes a Task (run.new_task()), a number of shots, or (x, y) shots; got "
                        f"{type(task_or_shots).__name__}")

    def adapt(self, task_or_shots: Any, steps: int = 1, model: Network | None = None,
              inner_lr: float | None = None) -> Network:
        """A copy of the model (or ``model``) after ``steps`` plain SGD steps of ``inner_lr`` (default: the
        run's) on the shots; the run's model is unchanged. ``task_or_shots``: a Task, a number of shots of a
        new task, or (x, y)."""
        steps = _option("steps").check(steps, subject="steps")
        x, y = self._as_shots(task_or_shots)
        copied = copy.deepcopy(self._model(model))
        sgd = torch.optim.SGD(copied.parameters(), lr=self._inner_lr(inner_lr))
        measure = LOSSES[self.family.loss]
        with torch.enable_grad():
            for _ in range(steps):
                sgd.zero_grad(set_to_none=True)
                measure(copied.logits(x), y).backward()
                sgd.step()
        return copied

    def predict(self, x: Any, model: Network | None = None) -> np.ndarray:
        """The model's (or ``model``'s) output at ``x``: regression values (n,), or class probabilities
        (n, ways); ``x`` in the tasks' units (digits: standardised pixels, as a Task holds them)."""
        x = self._points(x, "predict's x")
        with torch.no_grad():
            logits = self._model(model).logits(x)
        return logits[:, 0].numpy() if self.regression else torch.softmax(logits, 1).numpy()

    def _points(self, x: Any, what: str) -> torch.Tensor:
        """``x`` as (points, inputs) float32; one number per point is enough for 1-input tasks."""
        size = self.family.input_size
        array = numbers(x, what)
        if array.ndim <= 1 and size == 1:
            array = array.reshape(-1, 1)
        elif array.ndim == 1 and array.size == size:
            array = array.reshape(1, size)
        if array.ndim != 2 or array.shape[1] != size:
            raise NbdlError(f"{what} has shape {tuple(array.shape)}, but {self.family.name} tasks take {size} "
                            f"number{'s' * (size > 1)} per point; give an array of shape (points, {size})")
        return torch.from_numpy(array)

    def _model(self, model: Any) -> Network:
        if model is None:
            return self.model
        if not isinstance(model, Network):
            raise NbdlError(f"model is a network such as run.adapt(task) returns; got {type(model).__name__}")
        return model

    # -- evaluation ------------------------------------------------------------------------------
    def _inner_lr(self, given: float | None) -> float:
        return self.settings["inner_lr"] if given is None else _INNER_LR.check(given, subject="inner_lr")

    def _scores(self, layers, params, tasks: Batch, steps: Sequence[int], lr: float) -> dict[int, float]:
        """Mean query MSE (regression) or accuracy after each count of SGD steps, all tasks at once."""
        f = task_loss(layers, self.family.loss)
        done = 0
        scores = {}

        def score(p, xq, yq):
            out = torch.func.functional_call(layers, p, (xq,))
            return LOSSES["mse"](out, yq) if self.regression else (out.argmax(-1) == yq).float().mean()
        batched = {k: v.expand(len(tasks.x_support), *v.shape) for k, v in params.items()}
        with torch.enable_grad():
            for count in sorted(set(steps)):
                batched = torch.func.vmap(lambda p, x, y: adapted(f, p, x, y, count - done, lr))(
                    batched, tasks.x_support, tasks.y_support)
                batched = {k: v.detach() for k, v in batched.items()}
                done = count
                scores[count] = float(torch.func.vmap(score)(batched, tasks.x_query, tasks.y_query).mean())
        return scores

    def evaluate_tasks(self, n: int = 100, shots: int = 10, steps: Sequence[int] = (0, 1, 10),
                       seed: int = 0, inner_lr: float | None = None) -> dict:
        """The mean over ``n`` new tasks' query points of the MSE (regression) or accuracy (digits) after
        each number of ``steps`` of SGD of ``inner_lr`` (default: the run's) on ``shots`` shots. Digits also
        give ``"scratch"``: a freshly initialised network trained the same way on the same shots, after
        each of ``steps`` and ``SCRATCH_STEPS``."""
        lr = self._inner_lr(inner_lr)
        n = _option("n").check(n, subject="n")
        shots = _option("shots").check(shots, subject="shots")
        many = hasattr(steps, "__iter__") and not isinstance(steps, str)
        steps = [_option("steps").check(s, subject="steps") for s in (steps if many else [steps])]
        if not steps:
            raise NbdlError("steps is a list of step counts such as (0, 1, 10); got none")
        random = task_stream(_option("seed").check(seed, subject="seed"))
        tasks = Batch.of([self.family.sample(random, shots, self.family.eval_queries, test=True) for _ in range(n)])
        layers = self.model.layers
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            result: dict[Any, Any] = dict(self._scores(layers, {k: v.detach() for k, v in parameters(layers).items()},
                                                       tasks, steps, lr))
            if not self.regression:
                with randomness.seeded(seed + 12345):
                    fresh = self.spec.build((self.family.input_size,))
                result["scratch"] = self._scores(fresh.layers, {k: v.detach() for k, v in parameters(fresh.layers).items()},
                                                 tasks, [*steps, SCRATCH_STEPS], lr)
        finally:
            torch.set_num_threads(threads)
        return {k: result[k] for k in [*dict.fromkeys(steps), *(["scratch"] if "scratch" in result else [])]}

    # -- reporting -------------------------------------------------------------------------------
    def summary(self) -> str:
        s = self.settings
        parts = [f"{s['method']} on {s['tasks']}: {self.iteration} iterations in {self.seconds:.1f} s"]
        if self.history.get("loss"):
            parts.append(f"meta-training loss {self.history['loss'][-1]:.3f}")
        return "; ".join(parts)

    def __repr__(self) -> str:
        return f"MetaRun({self.summary()}, status {self.status!r})"


_CHECKS = {"n": Option("n", 100, kind=INT, low=1, high=100_000), "steps": Option("steps", 1, kind=INT, low=0, high=10_000),
           "shots": next(o for o in OPTIONS if o.name == "shots"), "seed": next(o for o in OPTIONS if o.name == "seed")}


def _option(name: str) -> Option:
    return _CHECKS[name]


def meta(network: Any, tasks: str = "sinusoid", method: str = "maml", callbacks: Any = None, fit: bool = True,
         **settings: Any) -> MetaRun:
    """Meta-train a network: ``nbdl.meta("input 1\\ndense 40 relu\\ndense 40 relu\\ndense 1", method="maml")``.
    Settings: shots, ways, queries, inner_steps, inner_lr, first_order, iterations, meta_batch, lr, every,
    seed; ``fit=False`` makes the run without training it."""
    refuse_unknown("nbdl.meta", settings, SETTINGS)
    run = MetaRun(MetaConfig(network, tasks, method, **settings))
    return run.fit(callbacks=callbacks) if fit else run
