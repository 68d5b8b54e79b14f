"""What a search may try: each Config setting's range or list of choices, checked by the setting's own
declaration, read from Python (``{"lr": (1e-3, 1e-1, "log"), "batch_size": [16, 32]}``) or from the
magic's text (``--lr 1e-3:1e-1:log --batch-size 16,32``), and written as JSON for a study's storage.

A range is ``(low, high)``, optionally ``"log"`` and a number of points (``(0, 1e-2, 5)``: five
points, which a grid search needs); a range on a whole-number setting draws whole numbers. A list
is the choices. Random and TPE search draw from a range's whole span; a grid takes its points
(evenly spaced, or evenly on a log scale).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

from .config import setting_named
from .errors import NbdlError, raise_all, spell, spelling
from .options import BOOL, CHOICE, FLOAT, INT, OBJECT, PAIR, TEXT, read_number, split_values

LOG = "log"
MAX_POINTS = 1000  # points of one range in a grid
MAX_GRID = 100_000  # combinations of a whole grid (Optuna's grid sampler lists them all)


@dataclass(frozen=True)
class Dimension:
    """One setting a search varies: ``choices``, or a range ``low``..``high`` (``log`` scale,
    ``integer`` values, ``points`` for a grid)."""

    name: str
    choices: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None
    log: bool = False
    integer: bool = False
    points: int | None = None

    @property
    def is_range(self) -> bool:
        return self.choices is None

    def grid_values(self) -> list[Any]:
        """The values a grid search tries: the choices, or the range's points."""
        if not self.is_range:
            return list(self.choices)
        if self.points is None:
            raise NbdlError(f"a grid search needs a number of points for the range of {spell(self.name)} "
                            f"{self.text()}: write {self.text(points=5)} for 5 points, or give a list of values")
        if self.points == 1:
            return [self.low]
        if self.log:
            step = (math.log(self.high) - math.log(self.low)) / (self.points - 1)
            values = [math.exp(math.log(self.low) + i * step) for i in range(self.points)]
        else:
            values = [self.low + i * (self.high - self.low) / (self.points - 1) for i in range(self.points)]
        values[0], values[-1] = self.low, self.high  # exact ends, whatever the rounding
        if self.integer:
            return list(dict.fromkeys(int(round(v)) for v in values))
        return [float(f"{v:.6g}") if i not in (0, len(values) - 1) else v for i, v in enumerate(values)]

    def suggest(self, trial: Any, grid: bool) -> Any:
        """Ask an Optuna trial for this setting's value."""
        if grid or not self.is_range:
            return trial.suggest_categorical(self.name, self.grid_values() if grid else list(self.choices))
        if self.integer:
            return trial.suggest_int(self.name, int(self.low), int(self.high), log=self.log)
        return trial.suggest_float(self.name, self.low, self.high, log=self.log)

    def text(self, points: int | None = None) -> str:
        """How the user writes it: ``1e-3:0.1:log`` in a magic, ``(0.001, 0.1, 'log')`` in Python."""
        if not self.is_range:
            return ",".join(_word(c) for c in self.choices) if spelling() == "magic" else repr(list(self.choices))
        return range_text(self.low, self.high, self.log, points or self.points)

    def to_dict(self) -> dict[str, Any]:
        if not self.is_range:
            return {"choices": list(self.choices)}
        return {"low": self.low, "high": self.high, "log": self.log, "int": self.integer, "points": self.points}

    @classmethod
    def from_dict(cls, name: str, values: Mapping[str, Any]) -> "Dimension":
        if "choices" in values:
            return cls(name, choices=tuple(values["choices"]))
        return cls(name, low=values["low"], high=values["high"], log=bool(values["log"]),
                   integer=bool(values["int"]), points=values["points"])


Space = dict[str, Dimension]


def read(space: Mapping[str, Any]) -> Space:
    """A checked search space from its Python form; one error lists every problem."""
    if not isinstance(space, Mapping) or not space:
        raise NbdlError("give the search space as a dict of setting -> range or choices, for example "
                        "{'lr': (1e-3, 1e-1, 'log'), 'batch_size': [16, 32]}")
    found, problems = {}, []
    for name, value in space.items():
        try:
            found[name] = dimension(name, value)
        except NbdlError as error:
            problems.append(str(error))
    raise_all(problems, "search space")
    return found


def dimension(name: Any, value: Any) -> Dimension:
    """One setting's range (a tuple) or choices (a list), checked by the setting's declaration."""
    setting = searchable(name)
    if isinstance(value, Dimension):
        value = value.to_dict()
        return check_range(setting, value["low"], value["high"], value["log"], value["points"]) if "low" in value \
            else check_choices(setting, value["choices"])
    if isinstance(value, list):
        return check_choices(setting, value)
    if isinstance(value, tuple):
        numbers = [v for v in value if v != LOG]
        log = len(numbers) < len(value)
        if len(numbers) not in (2, 3) or len(value) - len(numbers) > 1:
            raise NbdlError(f"the range of {spell(name)} must be (low, high), optionally with 'log' and a number of "
                            f"points: (1e-3, 1e-1, 'log', 5); got {value!r}")
        return check_range(setting, *numbers[:2], log, numbers[2] if len(numbers) == 3 else None)
    raise NbdlError(f"{spell(name)}: a search takes a range (low, high) or a list of choices, got {value!r:.60}; "
                    "a single value belongs in the config")


def read_text(name: str, text: str) -> Dimension | None:
    """The magic's form of one setting: ``low:high[:log][:points]`` or ``a,b,c`` (``a;b`` for settings
    whose value is itself a list; see ``options.split_values``); None for a single value, which sets
    the base config instead."""
    setting = searchable(name, text)
    word = text.strip()
    if ":" in word:
        parts = [p.strip() for p in word.split(":")]
        log = [p for p in parts[2:] if p.lower() == LOG]
        rest = [p for p in parts[2:] if p.lower() != LOG]
        if len(parts) < 2 or not all(parts) or len(log) > 1 or len(rest) > 1:
            raise NbdlError(f"{setting.flag} {text}: a range is LOW:HIGH, optionally :log and :POINTS, for example "
                            f"{setting.flag} 1e-3:1e-1:log or {setting.flag} 0:0.01:5")
        points = read_number(rest[0]) if rest else None
        return check_range(setting, read_number(parts[0]), read_number(parts[1]), bool(log), points)
    choices = split_values(word, commas=not setting.many)
    if len(choices) > 1:
        return check_choices(setting, choices, text=True)
    return None


def searchable(name: Any, text: str | None = None):
    """The setting called ``name``, if a search can vary it."""
    setting = setting_named(name) if isinstance(name, str) else setting_named(str(name))
    if setting.kind in (OBJECT, PAIR):
        how = "a pair of numbers" if setting.kind == PAIR else "not a number or a choice"
        raise NbdlError(f"{spell(name)} ({how}) cannot be searched; set it in the config, and search over settings "
                        "that take one number or one choice")
    return setting


def check_range(setting, low: Any, high: Any, log: bool, points: Any) -> Dimension:
    subject = f"the range {range_text(low, high, log, points)} of {spell(setting.name)}"
    if setting.kind not in (INT, FLOAT):
        names = setting.choice_names()[:3] or ["true", "false"]
        example = ",".join(names) if spelling() == "magic" else repr(names)
        raise NbdlError(f"{subject}: {spell(setting.name)} is {setting.describe()}, not a number; search it with a "
                        f"list of choices such as {example}")
    ends = []
    for end, value in (("low", low), ("high", high)):
        try:
            ends.append(setting.check(value))
        except NbdlError as error:
            raise NbdlError(f"{subject}: its {end} end is outside what {spell(setting.name)} allows: {error}") from None
        if ends[-1] is None:
            raise NbdlError(f"{subject}: its {end} end must be a number")
    low, high = ends
    if not low < high:
        raise NbdlError(f"{subject}: the low end must be below the high end")
    if log and low <= 0:
        raise NbdlError(f"{subject}: a log range needs a low end above 0; start it at a small number such as 1e-5")
    if points is not None and (isinstance(points, bool) or not isinstance(points, int)
                               or not 2 <= points <= MAX_POINTS):
        raise NbdlError(f"{subject}: the number of points must be a whole number in [2, {MAX_POINTS}], got {points!r}")
    integer = setting.kind == INT
    if integer and points is not None and points > high - low + 1:
        raise NbdlError(f"{subject}: {points} points do not fit between {low} and {high} in whole numbers")
    return Dimension(setting.name, low=low, high=high, log=log, integer=integer, points=points)


def check_choices(setting, values: list[Any], text: bool = False) -> Dimension:
    if not values:
        raise NbdlError(f"{spell(setting.name)}: the list of choices is empty; give at least one value")
    if setting.kind not in (INT, FLOAT, BOOL, CHOICE, TEXT):
        raise NbdlError(f"{spell(setting.name)} cannot be searched")
    checked = []
    for value in values:
        try:
            checked.append(setting.parse(value) if text else setting.check(value))
        except NbdlError as error:
            raise NbdlError(f"a choice of {spell(setting.name)}: {error}") from None
    return Dimension(setting.name, choices=tuple(dict.fromkeys(checked)))


def to_json(space: Space) -> dict[str, Any]:
    return {name: d.to_dict() for name, d in space.items()}


def from_json(values: Mapping[str, Any]) -> Space:
    return {name: Dimension.from_dict(name, d) for name, d in values.items()}


def grid_size(space: Space) -> int:
    """The combinations a grid search tries; an error when there are more than ``MAX_GRID``."""
    size = math.prod(len(d.grid_values()) for d in space.values())
    if size > MAX_GRID:
        ranges = ", ".join(f"{spell(n)} {d.text()}" for n, d in space.items())
        raise NbdlError(f"the grid {ranges} has {size:,} combinations, more than {MAX_GRID:,}; give its ranges fewer "
                        f"points or fewer choices, or search at random (method 'random', --search random)")
    return size


def is_log(space: Space, name: str) -> bool:
    return name in space and space[name].is_range and space[name].log


def range_text(low: Any, high: Any, log: bool, points: Any) -> str:
    """A range as the user writes it where they are: ``1e-3:0.1:log:5`` or ``(0.001, 0.1, 'log', 5)``."""
    parts = [low, high, *([LOG] if log else []), *([points] if points is not None else [])]
    if spelling() == "magic":
        return ":".join(_word(p) for p in parts)
    return repr(tuple(parts))


def _word(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return "none" if value is None else str(value).lower() if isinstance(value, bool) else str(value)

