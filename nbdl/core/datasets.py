"""Built-in data sets, one record each: how to load it, its task, its sample shape and output width,
its options with their defaults and ranges, and whether its order matters.

``load("moons", noise=0.3)`` checks the options against the record, refuses a size that would not
fit in memory, and loads. ``register(DataSet(...))`` adds a data set: the magic's ``--data`` and
its option flags, the panel's data controls and the help list it from then on.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from . import limits, series, toy
from .data import Dataset, autoencoded, from_arrays, from_frame, is_frame, subsample, to_numpy
from .errors import NbdlError, spell, spelling
from .features import OPTION as FEATURES, apply as with_features, shape as feature_shape
from .options import CHOICE, FLOAT, INT, TEXT, Option
from .registry import Registry
from .tasks import AUTOENCODE, CLASSIFICATION, REGRESSION, TASKS

Shape = tuple[int, ...]


@dataclass(frozen=True, eq=False)
class DataSet:
    """A named data set. ``load(seed=..., **options)`` returns a ``Dataset``; ``shape(options)`` is
    the shape of one sample and ``width(options)`` the output width a network needs; ``samples``
    how many samples these options make (for the memory check; None: small and fixed)."""

    name: str
    load: Callable[..., Dataset]
    task: str
    help: str
    shape: Callable[[dict[str, Any]], Shape]
    width: Callable[[dict[str, Any]], int]
    options: tuple[Option, ...] = ()
    samples: Callable[[dict[str, Any]], int | None] = lambda options: options.get("n")
    group: str = ""          # "toy", "real" or "sequence": how the help and the panel group them
    ordered: bool = False    # a time series: the split keeps its order
    tokens: bool = False     # samples are token codes

    def settle(self, given: dict[str, Any]) -> dict[str, Any]:
        """Every option's value: the given ones checked, the rest at this data set's defaults."""
        if not isinstance(given, dict) or not all(isinstance(k, str) for k in given):
            raise NbdlError(f"the options of data set {self.name!r} are a dict by name, such as {{'n': 200}}, "
                            f"got {given!r:.60}")
        own = {opt.name: opt for opt in self.options}
        extra = sorted(set(given) - set(own))
        if extra:
            allowed = ", ".join(spell(o, data_option=False) for o in own) or "none"
            raise NbdlError(f"data set {self.name!r} takes no {', '.join(spell(e) for e in extra)}; its options: {allowed}")
        return {name: opt.check(given[name], subject=f"{self.name} {spell(name)}") if name in given else opt.default
                for name, opt in own.items()}


registry: Registry[DataSet] = Registry("data set")
SEED = Option("seed", 0, "the seed data are drawn with", kind=INT, low=0, high=2**32 - 1)


def register(record: DataSet, aliases: tuple[str, ...] = (), replace: bool = False) -> DataSet:
    """Add a data set record (``nbdl.data.register`` checks a user's record further first)."""
    if record.task not in TASKS:
        raise NbdlError(f"a data set's task is one of: {', '.join(TASKS)}; got {record.task!r}")
    return registry.add(record.name, record, aliases, replace)


def names() -> list[str]:
    return registry.names()


def load(name: str, seed: int = 0, **options: Any) -> Dataset:
    """The built-in data set ``name`` with these options (the rest at the set's defaults)."""
    record = registry.get(name)
    seed = SEED.check(seed, subject=spell("seed"))
    values = record.settle(options)
    count = record.samples(values)
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
        raise NbdlError(f"data set {record.name!r}: its samples function must give a number of samples (or None), "
                        f"got {count!r}")
    if count is not None:
        size = count * (math.prod(record.shape(values)) + record.width(values)) * 4
        limits.check_memory(3 * size, f"data set {record.name!r} with {count:,} samples of shape "
                            f"{'x'.join(map(str, record.shape(values)))}", "ask for fewer samples or shorter ones")
    takes_features = FEATURES in record.options  # the loader makes 2-D points; their features are made here
    data = record.load(seed=seed, **{k: v for k, v in values.items() if not (takes_features and k == FEATURES.name)})
    if not isinstance(data, Dataset):
        raise NbdlError(f"data set {record.name!r}: its load function returned {type(data).__name__}, not a Dataset "
                        "(make one with nbdl.data.from_arrays(X, y))")
    if takes_features:
        data = with_features(data, values[FEATURES.name])
    declared = (record.task, tuple(record.shape(values)), record.width(values))
    made = (data.task, data.sample_shape, data.target_width)
    if declared != made:
        raise NbdlError(f"data set {record.name!r} declares {declared[0]} samples of shape {declared[1]} with "
                        f"{declared[2]} output(s), but its load function made {made[0]} samples of shape {made[1]} "
                        f"with {made[2]}; correct the declaration or the loader")
    if record.tokens and (data.X.min() < 0 or not np.equal(np.mod(data.X, 1), 0).all()):
        raise NbdlError(f"data set {record.name!r} declares token codes, but its load function made samples that "
                        "are not whole numbers >= 0")
    data.name, data.options, data.ordered, data.tokens = record.name, values, record.ordered, record.tokens
    return data


# -- the toy sets: 2-D points in classes, generated ------------------------------------------------------
def _n(default: int = 400, help: str = "number of samples") -> Option:
    return Option("n", default, help, kind=INT, low=2, label="samples")


def _noise(default: float) -> Option:
    return Option("noise", default, "noise: the spread of the points around their shape", kind=FLOAT, low=0, high=10)


def _classes(default: int) -> Option:
    return Option("classes", default, "how many classes", kind=INT, low=2, high=20)


def _toy(generate: Callable[..., tuple[np.ndarray, np.ndarray]]) -> Callable[..., Dataset]:
    def load(seed: int = 0, **options: Any) -> Dataset:
        if options.get("classes", 2) > options["n"]:
            raise NbdlError(f"{spell('n')} {options['n']} is fewer samples than {spell('classes')} {options['classes']}: "
                            "some classes would have none; ask for more samples or fewer classes")
        X, y = generate(seed=seed, **options)
        return from_arrays(X, y, task=CLASSIFICATION, n_classes=options.get("classes", 2))
    return load


_FLAT2 = feature_shape  # 2-D points: one input per chosen feature (x1,x2 by default)
for _name, _generate, _help, _options in (
    ("moons", toy.moons, "two interleaving half circles", (_n(), _noise(0.2))),
    ("circles", toy.circles, "a small circle inside a large one", (_n(), _noise(0.1), Option(
        "factor", 0.5, "the inner circle's radius, as a share of the outer's", low=0, high=1, low_open=True, high_open=True))),
    ("xor", toy.xor, "points in a square, the class is whether x and y have the same sign", (_n(), _noise(0.1))),
    ("spiral", toy.spiral, "arms of a spiral, one per class", (_n(), _noise(0.1), _classes(2))),
    ("blobs", toy.blobs, "gaussian clouds around points on a circle, one per class", (_n(), _noise(1.0), _classes(3))),
):
    register(DataSet(_name, _toy(_generate), CLASSIFICATION, _help, _FLAT2,
                     lambda options: options.get("classes", 2), (*_options, FEATURES), group="toy"))


def _modes(generate: Callable[..., tuple[np.ndarray, np.ndarray]], modes: int) -> Callable[..., Dataset]:
    def load(seed: int = 0, **options: Any) -> Dataset:
        X, y = generate(seed=seed, **options)
        return from_arrays(X, y, task=CLASSIFICATION, n_classes=modes)
    return load


# The 2-D GAN test sets: the class is the mode a point was drawn around (nbdl.core.gan counts them).
for _name, _generate, _modes_count, _help, _options in (
    ("ring", toy.ring, 8, "8 gaussian clouds on a circle of radius 2 (a GAN test set)", (_n(2000), _noise(0.05))),
    ("grid", toy.grid, 25, "25 gaussian clouds on a 5x5 grid, 2 apart (a GAN test set)", (_n(2500), _noise(0.05))),
):
    register(DataSet(_name, _modes(_generate, _modes_count), CLASSIFICATION, _help, lambda options: (2,),
                     lambda options, modes=_modes_count: modes, _options, group="toy"))


# -- the real sets scikit-learn ships ---------------------------------------------------------------------
def _sklearn(name: str, loader: str, task: str, images: bool = False) -> Callable[..., Dataset]:
    def load(seed: int = 0, n: int | None = None) -> Dataset:
        from sklearn import datasets as sk  # imported here: sklearn costs ~1.6 s to import

        bunch = getattr(sk, loader)()
        X = bunch.data.reshape(-1, 1, 8, 8) if images else bunch.data
        names = [str(c) for c in getattr(bunch, "target_names", [])] or None
        features = [str(f) for f in getattr(bunch, "feature_names", [])] or None
        data = from_arrays(X, bunch.target.astype(np.float32) if task == REGRESSION else bunch.target, task=task,
                           name=name, class_names=names if task == CLASSIFICATION else None, feature_names=features)
        return subsample(data, n, seed) if n is not None else data
    return load


def _subsample() -> Option:
    return Option("n", None, "a random subsample of this many samples (default: all)", kind=INT, low=2, optional=True,
                  label="samples")


for _name, _loader, _task, _help, _shape, _width in (
    ("digits", "load_digits", CLASSIFICATION, "8x8 handwritten digits as 64 pixel values", (64,), 10),
    ("digits_images", "load_digits", CLASSIFICATION, "8x8 handwritten digits as 1x8x8 images", (1, 8, 8), 10),
    ("iris", "load_iris", CLASSIFICATION, "iris flowers: 4 measurements, 3 species", (4,), 3),
    ("wine", "load_wine", CLASSIFICATION, "wines: 13 chemical measurements, 3 cultivars", (13,), 3),
    ("breast_cancer", "load_breast_cancer", CLASSIFICATION, "breast tumours: 30 measurements, malignant or benign",
     (30,), 2),
    ("diabetes", "load_diabetes", REGRESSION, "diabetes progression after a year from 10 measurements", (10,), 1),
):
    register(DataSet(_name, _sklearn(_name, _loader, _task, images=len(_shape) == 3), _task, _help,
                     lambda options, shape=_shape: shape, lambda options, width=_width: width, (_subsample(),),
                     samples=lambda options: None, group="real"))


# -- sequences --------------------------------------------------------------------------------------------
def _adding(seed: int = 0, n: int = 10000, seq_len: int = 50) -> Dataset:
    X, y = series.adding(n, seq_len, seed)
    return from_arrays(X, y, task=REGRESSION)


register(DataSet(
    "adding", _adding, REGRESSION, "the adding problem: sum the two marked values of a long sequence",
    lambda options: (options["seq_len"], 2), lambda options: 1,
    (Option("n", 10000, "number of sequences", kind=INT, low=2, label="samples"),
     Option("seq_len", 50, "steps of each sequence", kind=INT, low=2)), group="sequence"))


def _forecast(name: str) -> Callable[..., Dataset]:
    def load(seed: int = 0, n: int | None = None, window: int = 20) -> Dataset:
        X, y, last = series.windows(series.series(name), window)
        if n is not None:  # the last n windows: the split keeps time order
            if n > len(X):
                raise NbdlError(f"{name} has {len(X)} windows of {window} steps; ask for {spell('n')} <= {len(X)}")
            X, y, last = X[-n:], y[-n:], last[-n:]
        data = from_arrays(X, y, task=REGRESSION)
        data.offset = last
        return data
    return load


for _name, _help, _window in (("co2", "weekly CO2 at Mauna Loa, 1958-2001: forecast the next week", 52),
                              ("sunspots", "yearly sunspot activity, 1700-2008: forecast the next year", 20)):
    register(DataSet(
        _name, _forecast(_name), REGRESSION, _help, lambda options: (options["window"], 1), lambda options: 1,
        (Option("n", None, "the last n windows only (default: all)", kind=INT, low=2, optional=True, label="samples"),
         Option("window", _window, "steps of history in each forecasting window", kind=INT, low=2)),
        samples=lambda options: None, group="sequence", ordered=True))


def _text(seed: int = 0, n: int | None = None, seq_len: int = 64, chars: int = 100_000) -> Dataset:
    X, y, vocabulary = series.text(seq_len, chars)
    if n is not None:
        X, y = X[:n], y[:n]
    return from_arrays(X, y, task=CLASSIFICATION, n_classes=len(vocabulary), class_names=vocabulary)


def _vocabulary(options: dict[str, Any]) -> int:
    import pydoc_data.topics as topics

    corpus = "".join(topics.topics[key] for key in sorted(topics.topics))[: options.get("chars", 100_000)]
    return len(set(corpus))


register(DataSet(
    "text", _text, CLASSIFICATION, "characters of Python's own documentation: predict the next one at every step",
    lambda options: (options["seq_len"],), _vocabulary,
    (Option("n", None, "the first n windows only (default: all)", kind=INT, low=2, optional=True, label="samples"),
     Option("seq_len", 64, "characters in each window", kind=INT, low=2),
     Option("chars", 100_000, "characters of the corpus to use", kind=INT, low=100, high=10_000_000)),
    samples=lambda options: options["chars"] // options["seq_len"], group="sequence", tokens=True))


# -- the user's own data -------------------------------------------------------------------------------
USER_OPTIONS = (
    Option("target", None, "the column of a DataFrame to predict", kind=TEXT, optional=True, metavar="COLUMN"),
    Option("task", None, "what the targets are (default: integers and text are classes, decimals regression); "
           "autoencode: the samples themselves, for any data set", kind=CHOICE, choices=(*TASKS, AUTOENCODE),
           optional=True),
    FEATURES,  # for your own 2-D points
)


def as_dataset(data: Any, y: Any = None, seed: int = 0, target: str | None = None, task: str | None = None,
               **options: Any) -> Dataset:
    """Whatever the user gave as data: a Dataset, a built-in name, (X, y), X with y, or a DataFrame.
    Your own 2-D points take ``features`` too, as the built-in 2-D sets do. ``task="autoencode"``
    makes the samples the targets, of any data (your own X needs no y; a y of classes is kept as labels)."""
    if task == AUTOENCODE:
        if y is None and isinstance(data, (tuple, list)) and len(data) == 2 and data[1] is None:
            data = data[0]  # (X, None): X alone
        if is_frame(data) and target is None:  # every column is a feature, and a dropped stand-in is the target
            data, target = data.assign(**{"(autoencode)": 0.0}), "(autoencode)"
        plain = y is None and not isinstance(data, (str, Dataset, tuple, list)) and not is_frame(data) and data is not None
        if plain:  # the user's X alone: its targets are made from it
            y = np.zeros(len(to_numpy(data, "X")), np.float32)
        return autoencoded(as_dataset(data, y, seed, target, None, **options))
    if not isinstance(data, str) and FEATURES.name in options:
        wanted = FEATURES.check(options.pop(FEATURES.name))
        return with_features(as_dataset(data, y, seed, target, task, **options), wanted)
    if isinstance(data, Dataset):
        if options or target is not None or task is not None:
            named = ", ".join(spell(k) for k in sorted({*options, *(k for k, v in (("target", target), ("task", task))
                                                                    if v is not None)}))
            raise NbdlError(f"{named} are options of a data set by name; a Dataset is used as it is (for fewer "
                            "samples: nbdl.data.subsample(dataset, n))")
        return data
    if isinstance(data, str):
        if target is not None or task is not None:
            raise NbdlError(f"{spell('target')} and {spell('task')} are for your own data; the data set {data!r} "
                            f"knows its targets (it takes only {spell('task', AUTOENCODE, data_option=True)})")
        return load(data, seed=seed, **options)
    if options:
        raise NbdlError(f"{', '.join(spell(k) for k in sorted(options))} are options of the built-in data sets; "
                        "your own data takes none of them")
    if target is not None and not is_frame(data):
        raise NbdlError(f"{spell('target')} names the column of a DataFrame; with arrays give the targets as y")
    if data is None:
        raise NbdlError(f"no data given; name a data set ({', '.join(names())}) or give your own: data=(X, y)")
    if is_frame(data):
        if target is None:
            raise NbdlError(f"a DataFrame needs {spell('target', 'COLUMN', data_option=True)}, the column to predict")
        return from_frame(data, target, task=task)
    if y is None and isinstance(data, (tuple, list)) and len(data) == 2:
        data, y = data
    if y is None:
        raise NbdlError("give the targets too: " + ("--y VARIABLE, or a variable holding (X, y)" if spelling() == "magic"
                                                   else "data=(X, y)"))
    return from_arrays(data, y, task=task)
