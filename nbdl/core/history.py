"""A run's history: one row of plain floats per epoch, read as a list per figure.

``history["val_acc"]`` is a list with one value per epoch (NaN where a figure was not logged that
epoch, for example a penalty switched on mid-run). An epoch's row opens when the epoch's training
part is done, and the run's epoch count is the number of rows, so the two always move together,
even when an interrupt arrives while callbacks are still recording into the row."""
from __future__ import annotations

import math
from typing import Any, Iterable

from .errors import NbdlError


class History(dict):
    """Figure name -> list of floats, one per epoch."""

    def __init__(self, columns: dict[str, list[float]] | None = None):
        super().__init__()
        self.epochs = 0
        if columns:
            self.epochs = max(len(v) for v in columns.values())
            for key, values in columns.items():
                try:
                    self[key] = [float(v) for v in values]
                except (TypeError, ValueError):
                    raise NbdlError(f"the history's {key!r} must be a list of numbers") from None
            self.pad()

    def open_row(self, figures: dict[str, float]) -> "Row":
        """Start the next epoch's row with ``figures``; callbacks record into the row it returns."""
        self.pad()
        self.epochs += 1
        row = Row(self)
        for key, value in figures.items():
            row[key] = value
        return row

    def record(self, key: str, value: Any) -> None:
        """Set ``key`` in the current (last) row."""
        value = float(value)
        if self.epochs == 0:
            raise NbdlError("no epoch to record into yet; figures are recorded at the end of an epoch")
        column = self.setdefault(key, [])
        if len(column) < self.epochs - 1:
            column.extend([math.nan] * (self.epochs - 1 - len(column)))
        if len(column) == self.epochs:
            column[-1] = float(value)
        else:
            column.append(float(value))

    def pad(self) -> None:
        """Give every figure one value per epoch (NaN where it was not logged)."""
        for column in self.values():
            if len(column) < self.epochs:
                column.extend([math.nan] * (self.epochs - len(column)))

    def row(self, index: int = -1) -> dict[str, float]:
        """One epoch's figures (the last by default)."""
        self.pad()
        return {key: column[index] for key, column in self.items()}

    def last(self, key: str, default: float | None = None) -> float | None:
        column = self.get(key)
        return column[-1] if column else default

    @classmethod
    def checked(cls, columns: Any, epochs: int) -> "History":
        """A history read back from a file: figure names with lists of ``epochs`` numbers."""
        if not isinstance(columns, dict):
            raise NbdlError("the history must map figure names to lists of numbers")
        for key, values in columns.items():
            if not isinstance(key, str) or not isinstance(values, list) or len(values) != epochs or \
                    not all(_number(v) for v in values):
                raise NbdlError(f"the history's {key!r} must be a list of {epochs} numbers, one per epoch")
        history = cls({k: [math.nan if v is None else v for v in values] for k, values in columns.items()})
        history.epochs = epochs
        return history

    def to_lists(self) -> dict[str, list[float | None]]:
        """JSON-able columns (NaN as None)."""
        return {k: [None if isinstance(v, float) and math.isnan(v) else v for v in column] for k, column in self.items()}


def _number(value: Any) -> bool:
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))


class Row(dict):
    """The current epoch's figures; setting one records it in the history at once, so a callback
    later in the order (a plot, early stopping) sees it in ``logs`` and in ``run.history`` alike."""

    def __init__(self, history: History):
        super().__init__()
        self.history = history

    def __setitem__(self, key: str, value: Any) -> None:
        if not isinstance(key, str) or isinstance(value, bool) or not isinstance(value, (int, float)) \
                and not (hasattr(value, "item") and getattr(value, "ndim", 0) == 0):
            raise NbdlError(f"a figure in the history is a number under a name, got {key!r}: {value!r:.40}")
        try:
            self.history.record(key, value)
        except OverflowError:
            raise NbdlError(f"the figure {key!r} is too large for a float: {value!r:.40}") from None
        super().__setitem__(key, value)

    def update(self, other: Iterable = (), **more: Any) -> None:  # type: ignore[override]
        for key, value in dict(other, **more).items():
            self[key] = value
