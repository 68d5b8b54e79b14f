"""Environments for reinforcement learning: one small interface, a registry of named ones, and a
wrapper that makes any Gymnasium task with a flat observation and discrete actions fit it.

An ``Environment`` gives a flat float32 observation of ``observation_size`` numbers and takes an
action ``0 .. n_actions - 1``. Gymnasium is optional (``pip install 'nbdl[rl]'``) and imported only
when a Gymnasium task is made; the built-in grid world needs only numpy."""
from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .errors import NbdlError
from .registry import Registry

INSTALL = "pip install 'nbdl[rl]'"


class Environment:
    """What an agent acts in: ``reset(seed)`` gives the first observation, ``step(action)`` gives
    ``(observation, reward, terminated, truncated)``; ``render()`` an RGB picture (H, W, 3) or None."""

    name: str = "environment"
    observation_size: int = 0
    n_actions: int = 0
    solved: float | None = None  # the return at which the task counts as solved, None if none

    def reset(self, seed: int | None = None) -> np.ndarray:
        raise NotImplementedError

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool]:
        raise NotImplementedError

    def render(self) -> np.ndarray | None:
        return None

    def close(self) -> None:
        pass

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}: {self.observation_size} observed, {self.n_actions} actions)"


@dataclass(frozen=True)
class EnvRecord:
    """A named environment: ``make(render)`` builds it; ``solved`` is the return that solves it."""

    name: str
    make: Callable[[bool], Environment]
    description: str = ""
    solved: float | None = None


def gymnasium():
    """The gymnasium module, or an error naming the extra to install."""
    try:
        import gymnasium as gym
    except ImportError:
        raise NbdlError(f"Gymnasium environments need the gymnasium package: {INSTALL}") from None
    return gym


class GymEnvironment(Environment):
    """A Gymnasium task behind the ``Environment`` interface (Box observation, Discrete actions)."""

    def __init__(self, name: str, render: bool = False, solved: float | None = None):
        gym = gymnasium()
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # pygame draws off screen
        os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
        try:
            env = gym.make(name, render_mode="rgb_array" if render else None)
        except gym.error.Error as error:
            raise unknown_env(name, f" (Gymnasium: {error})") from None
        observed, actions = env.observation_space, env.action_space
        if not isinstance(actions, gym.spaces.Discrete):
            env.close()
            raise NbdlError(f"{name} has {type(actions).__name__} actions; nbdl's agents support only discrete "
                            f"actions (a Discrete action space), such as CartPole-v1, Acrobot-v1 or MountainCar-v0")
        if not isinstance(observed, gym.spaces.Box):
            env.close()
            raise NbdlError(f"{name} observes a {type(observed).__name__}; nbdl's agents need a Box of numbers "
                            "(a flat vector), such as CartPole-v1's 4 numbers")
        self.env, self.name, self.rendering = env, name, render
        self.observation_size = int(np.prod(observed.shape))
        self.n_actions = int(actions.n)
        self.start = int(actions.start)
        threshold = getattr(env.spec, "reward_threshold", None)
        self.solved = solved if solved is not None else (None if threshold is None else float(threshold))

    def reset(self, seed: int | None = None) -> np.ndarray:
        observation, _ = self.env.reset(seed=seed)
        return np.asarray(observation, dtype=np.float32).reshape(-1)

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool]:
        observation, reward, terminated, truncated, _ = self.env.step(int(action) + self.start)
        return np.asarray(observation, dtype=np.float32).reshape(-1), float(reward), bool(terminated), bool(truncated)

    def render(self) -> np.ndarray | None:
        if not self.rendering:
            return None
        try:
            picture = self.env.render()
        except Exception as error:  # pygame missing or no display: say which, not a traceback
            raise NbdlError(f"cannot draw {self.name}: {error}; pygame comes with {INSTALL}") from None
        return None if picture is None else np.asarray(picture, dtype=np.uint8)

    def close(self) -> None:
        self.env.close()


def _gridworld():
    # lazy, and by name: gridworld imports this module (an import statement here would be a cycle)
    return importlib.import_module(".gridworld", __package__)


def gym_record(name: str, description: str, solved: float) -> EnvRecord:
    """The record of a Gymnasium task whose environment and record say the same solved return."""
    return EnvRecord(name, lambda render: GymEnvironment(name, render, solved=solved), description, solved=solved)


environments: Registry[EnvRecord] = Registry("environment")
environments.add("CartPole-v1", gym_record(
    "CartPole-v1", "balance a pole on a cart: 4 numbers observed, 2 actions (push left, right), +1 a step up to 500",
    solved=195.0))
environments.add("Acrobot-v1", gym_record(
    "Acrobot-v1", "swing a two-link arm up: 6 numbers observed, 3 actions (torque -1, 0, +1), -1 a step up to 500",
    solved=-100.0))
environments.add("gridworld", EnvRecord(
    "gridworld", lambda render: _gridworld().GridWorld(),
    "a small built-in maze: reach the goal, avoid the pits; one-hot cell observed, 4 moves", solved=None))


def unknown_env(name: Any, detail: str = "") -> NbdlError:
    return NbdlError(f"unknown environment {name!r}; choose one of: {', '.join(r.name for r in environments.in_order())}"
                     f", or any Gymnasium id with a Box observation and Discrete actions (such as MountainCar-v0)"
                     f"{detail}")


def make_env(name_or_env: Any, render: bool = False) -> Environment:
    """An ``Environment``: a registered name, a Gymnasium id, or an ``Environment`` given as it is."""
    if isinstance(name_or_env, Environment):
        return name_or_env
    if not isinstance(name_or_env, str) or not name_or_env.strip():
        raise unknown_env(name_or_env)
    if name_or_env in environments:
        return environments.get(name_or_env).make(render)
    try:
        gymnasium()
    except NbdlError:
        raise unknown_env(name_or_env, f"; Gymnasium ids need {INSTALL}") from None
    return GymEnvironment(name_or_env.strip(), render)


def solved_return(env: Environment) -> float | None:
    """The return at which ``env`` counts as solved: its record's, else its own, else None."""
    if env.name in environments:
        return environments.get(env.name).solved
    return env.solved
