"""A small grid world for teaching reinforcement learning: a maze of cells with a start, a goal
(+1), pits (-1), walls and a small cost per step, whose true state values value iteration gives
exactly, so a learned value function can be drawn beside them as two heat maps.

A layout is text, one row a line: ``S`` start, ``G`` goal, ``P`` pit, ``#`` wall, ``.`` free.
The agent moves up, right, down or left (actions 0-3); a move into a wall or off the grid leaves
it where it is. With ``slip`` > 0 a move goes in a random direction that often instead. Reaching
the goal or a pit ends the episode; after ``max_steps`` moves it is cut short (truncated)."""
from __future__ import annotations

import numpy as np

from .errors import NbdlError
from .options import FLOAT, INT, Option
from .rl_env import Environment

LAYOUT = ("S...#",
          ".#...",
          ".#.P.",
          "...#.",
          "P#..G")

MOVES = ((-1, 0), (0, 1), (1, 0), (0, -1))  # up, right, down, left: (row, column) steps
ACTIONS = ("up", "right", "down", "left")
KINDS = {".": "free", "#": "wall", "G": "goal", "P": "pit", "S": "start"}
ENDS = ("goal", "pit")

# render(): colours of the cells and the agent (RGB)
COLORS = {"free": (246, 246, 246), "start": (214, 228, 245), "wall": (60, 60, 60), "goal": (44, 160, 44),
          "pit": (214, 39, 40)}
AGENT = (31, 119, 180)
LINES = (200, 200, 200)

OPTIONS = (Option("step_cost", 0.04, "the cost of a move", kind=FLOAT, low=-1e6, high=1e6),
           Option("goal", 1.0, "the reward in the goal", kind=FLOAT, low=-1e6, high=1e6),
           Option("pit", 1.0, "the cost of a pit", kind=FLOAT, low=-1e6, high=1e6),
           Option("slip", 0.0, "the chance of a random move", kind=FLOAT, low=0, high=1, high_open=True),
           Option("max_steps", 100, "moves before an episode is cut short", kind=INT, low=1),
           Option("cell", 40, "pixels a cell is drawn in", kind=INT, low=4, high=400))


def read_layout(layout) -> tuple[str, ...]:
    """The rows of a layout given as text (rows on lines) or a list of rows; one error for a bad one."""
    if not isinstance(layout, (str, list, tuple)) or not all(isinstance(row, str) for row in layout):
        raise NbdlError(f"a grid world layout is text, one row a line, such as 'S..\\n.#G', got {layout!r:.60}")
    rows = tuple(line.strip() for line in (layout.strip().splitlines() if isinstance(layout, str) else layout))
    rows = tuple(row for row in rows if row)
    problems = []
    if not rows:
        raise NbdlError("a grid world layout needs at least one row, for example 'S..G'")
    if len({len(row) for row in rows}) > 1:
        problems.append(f"its rows have different lengths ({', '.join(str(len(r)) for r in rows)}); make them equal")
    bad = sorted({c for row in rows for c in row if c not in KINDS})
    if bad:
        problems.append(f"unknown cell {''.join(bad)!r}; use S (start), G (goal), P (pit), # (wall), . (free)")
    starts = sum(row.count("S") for row in rows)
    if starts != 1:
        problems.append(f"it has {starts} starts (S); give exactly one")
    if not any("G" in row for row in rows):
        problems.append("it has no goal (G); give at least one")
    if problems:
        raise NbdlError("bad grid world layout: " + "; ".join(problems))
    return rows


class GridWorld(Environment):
    """The maze as an environment: the observation is a one-hot of the agent's cell
    (``rows * cols`` values, walls included), the reward +``goal`` on reaching the goal,
    -``pit`` in a pit, and -``step_cost`` for any other move."""

    name = "gridworld"
    n_actions = 4

    def __init__(self, layout=LAYOUT, step_cost: float = 0.04, goal: float = 1.0, pit: float = 1.0,
                 slip: float = 0.0, max_steps: int = 100, cell: int = 40):
        problems = []
        for opt, value in zip(OPTIONS, (step_cost, goal, pit, slip, max_steps, cell)):
            try:
                opt.check(value)
            except NbdlError as error:
                problems.append(str(error))
        if problems:
            raise NbdlError("bad grid world: " + "; ".join(problems))
        self.layout = read_layout(layout)
        self.rows, self.cols = len(self.layout), len(self.layout[0])
        self.observation_size = self.rows * self.cols
        self.step_cost, self.goal, self.pit = float(step_cost), float(goal), float(pit)
        self.slip, self.max_steps, self.cell = float(slip), int(max_steps), int(cell)
        self.start = next((r, c) for r, row in enumerate(self.layout) for c, ch in enumerate(row) if ch == "S")
        self.position = self.start
        self.steps = 0
        self.rng = np.random.default_rng()

    def __repr__(self) -> str:
        return f"GridWorld({self.rows}x{self.cols}, slip={self.slip}, max_steps={self.max_steps})"

    # -- the maze ---------------------------------------------------------------------------------
    def kind(self, row: int, col: int) -> str:
        """``"free"``, ``"wall"``, ``"goal"``, ``"pit"`` or ``"start"``."""
        return KINDS[self.layout[row][col]]

    def cells(self) -> list[tuple[int, int]]:
        """Every cell the agent can be in (all but the walls), row by row."""
        return [(r, c) for r in range(self.rows) for c in range(self.cols) if self.kind(r, c) != "wall"]

    def observation(self, row: int, col: int) -> np.ndarray:
        """The one-hot observation of the agent in cell (row, col)."""
        seen = np.zeros(self.observation_size, dtype=np.float32)
        seen[row * self.cols + col] = 1.0
        return seen

    def moved(self, row: int, col: int, action: int) -> tuple[int, int]:
        """The cell a move of ``action`` from (row, col) lands in (the same one at a wall or the edge)."""
        r, c = row + MOVES[action][0], col + MOVES[action][1]
        if 0 <= r < self.rows and 0 <= c < self.cols and self.kind(r, c) != "wall":
            return r, c
        return row, col

    def reward(self, row: int, col: int) -> float:
        """The reward for a move that lands in (row, col)."""
        kind = self.kind(row, col)
        return self.goal if kind == "goal" else -self.pit if kind == "pit" else -self.step_cost

    def outcomes(self, row: int, col: int, action: int) -> list[tuple[float, tuple[int, int]]]:
        """(probability, cell landed in) of ``action`` from (row, col): the intended move with
        1 - slip + slip/4, each direction with slip/4."""
        chances: dict[tuple[int, int], float] = {}
        for a in range(4):
            p = self.slip / 4 + (1 - self.slip if a == action else 0.0)
            if p > 0:
                landed = self.moved(row, col, a)
                chances[landed] = chances.get(landed, 0.0) + p
        return [(p, cell) for cell, p in chances.items()]

    def true_values(self, gamma: float = 0.99, tolerance: float = 1e-10) -> np.ndarray:
        """The optimal state values by value iteration, (rows, cols): 0 in the goal and the pits
        (the episode has ended there), NaN on walls. The step limit is left out (values of the
        unlimited task)."""
        if not 0 <= gamma <= 1:
            raise NbdlError(f"gamma must be in [0, 1], got {gamma!r}")
        values = np.zeros((self.rows, self.cols))
        moving = [cell for cell in self.cells() if self.kind(*cell) not in ENDS]
        for _ in range(100_000):
            change = 0.0
            for row, col in moving:
                best = max(sum(p * (self.reward(*to) + gamma * values[to]) for p, to in self.outcomes(row, col, a))
                           for a in range(4))
                change = max(change, abs(best - values[row, col]))
                values[row, col] = best
            if change < tolerance:
                break
        for r in range(self.rows):
            for c in range(self.cols):
                if self.kind(r, c) == "wall":
                    values[r, c] = np.nan
        return values

    def best_action(self, row: int, col: int, values: np.ndarray, gamma: float = 0.99) -> int:
        """The action with the highest expected return from (row, col) under ``values`` (0-3)."""
        worth = [sum(p * (self.reward(*to) + gamma * (0.0 if self.kind(*to) in ENDS else values[to]))
                     for p, to in self.outcomes(row, col, a)) for a in range(4)]
        return int(np.argmax(worth))

    # -- the environment --------------------------------------------------------------------------
    def reset(self, seed: int | None = None) -> np.ndarray:
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        self.position, self.steps = self.start, 0
        return self.observation(*self.position)

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool]:
        if int(action) != action or not 0 <= action < 4:
            raise NbdlError(f"a grid world action is 0 (up), 1 (right), 2 (down) or 3 (left), got {action!r}")
        if self.kind(*self.position) in ENDS:
            raise NbdlError("the grid world episode has ended; call reset() first")
        if self.slip and self.rng.random() < self.slip:
            action = int(self.rng.integers(4))
        self.position = self.moved(*self.position, int(action))
        self.steps += 1
        terminated = self.kind(*self.position) in ENDS
        truncated = not terminated and self.steps >= self.max_steps
        return self.observation(*self.position), self.reward(*self.position), terminated, truncated

    def render(self) -> np.ndarray:
        """The maze (walls dark, goal green, pits red, the start light blue) with the agent as a
        blue circle: (rows * cell, cols * cell, 3) uint8."""
        size = self.cell
        picture = np.empty((self.rows * size, self.cols * size, 3), dtype=np.uint8)
        for r in range(self.rows):
            for c in range(self.cols):
                picture[r * size:(r + 1) * size, c * size:(c + 1) * size] = COLORS[self.kind(r, c)]
        picture[::size, :] = LINES
        picture[:, ::size] = LINES
        picture[-1, :] = LINES
        picture[:, -1] = LINES
        y, x = np.mgrid[0:size, 0:size]
        centre = (size - 1) / 2
        disc = (y - centre) ** 2 + (x - centre) ** 2 <= (0.32 * size) ** 2
        r, c = self.position
        block = picture[r * size:(r + 1) * size, c * size:(c + 1) * size]
        block[disc] = AGENT
        return picture

    def close(self) -> None:
        pass
