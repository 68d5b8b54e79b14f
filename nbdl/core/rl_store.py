"""An RL run's checkpoint: what ``RlRun.save`` writes and how a loaded state is checked and put back.

The file holds the config (``"kind": "rl"``, the network's spec, the environment's name, the
settings) and the state: the weights training goes on from (``last``), the best greedy weights, the
agent's own state (target network, optimizer, replay buffer), the agent's and dropout's random
generators, the history and the progress, so a loaded run's next fit gives the returns the uninterrupted run would have."""
from __future__ import annotations

import math
from typing import Any

from . import checkpoint
from .errors import NbdlError
from .rl_agents import copied
from .state import part
from .state_checks import check_model

KIND = "rl"


def config_of(run: Any) -> dict[str, Any]:
    env = run.config.env
    return {"kind": KIND, "network": run.model.spec.to_dict(),
            "env": env if isinstance(env, str) else f"<environment {run.env.name}>", **run.settings}


def state_of(run: Any) -> dict[str, Any]:
    """The run's state as plain values and tensors (copies)."""
    training = run.status == "training" or run.last_weights is None  # the model holds the weights in training
    return {
        "last": copied(run.model.state_dict()) if training else copied(run.last_weights),
        "best": None if run.best_weights is None else copied(run.best_weights),
        "agent": run.agent.state_dict(),
        "generator": run.rng.bit_generator.state,
        "dropout": run.generator.get_state(),
        "history": {k: list(v) for k, v in run.history.items()},
        "progress": {"episode": run.episode, "seconds": run.seconds, "best_greedy": run.best_greedy,
                     "best_episode": run.best_episode, "status": run.status, "stop_reason": run.stop_reason},
    }


def save(run: Any, path: Any) -> None:
    checkpoint.write(path, config_of(run), state_of(run))


def restore(run: Any, saved: Any) -> None:
    """Check every part of ``saved`` against the freshly made ``run``, then put them all back."""
    with part("state"):
        if not isinstance(saved, dict):
            raise NbdlError("it is not an RL run's state")
        missing = sorted({"last", "best", "agent", "generator", "dropout", "history", "progress"} - set(saved))
        if missing:
            raise NbdlError(f"it lacks {', '.join(missing)}")
    own = run.model.state_dict()
    with part("weights"):
        last = check_model(own, saved["last"])
        best = None if saved["best"] is None else check_model(own, saved["best"])
    with part("progress"):
        progress = saved["progress"]
        episode = progress["episode"]
        if not isinstance(episode, int) or episode < 0:
            raise NbdlError(f"episode {episode!r} is not a count")
        seconds = float(progress["seconds"])
        best_greedy = None if progress["best_greedy"] is None else float(progress["best_greedy"])
        best_episode = progress["best_episode"]
    with part("history"):
        history = {key: [float(v) for v in saved["history"][key]] for key in run.history}
        if any(len(values) != episode for values in history.values()):
            raise NbdlError(f"its lists are not all {episode} episodes long")
        if any(math.isinf(v) for values in history.values() for v in values):
            raise NbdlError("it holds infinite values")
    with part("agent state"):
        run.agent.load_state_dict(saved["agent"])
    with part("random generator"):
        run.rng.bit_generator.state = saved["generator"]
        run.generator.set_state(saved["dropout"])
    run.last_weights = copied(last)
    run.best_weights = None if best is None else copied(best)
    run.model.load_state_dict(best if best is not None else last)
    run.history, run.episode, run.seconds = history, episode, seconds
    run.best_greedy, run.best_episode = best_greedy, best_episode
    status = progress.get("status")
    run.status = "stopped" if status in ("training", None) else str(status)
    run.stop_reason = progress.get("stop_reason")
