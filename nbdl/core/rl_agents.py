"""Reinforcement-learning algorithms as registry records: each makes an agent that acts, learns from
what happened and reports its figures, so the training loop in ``rl.py`` has no per-algorithm code.

``dqn``: a Q network, a replay buffer (a preallocated numpy ring), a target network copied every
``target_every`` environment steps, Double DQN targets, the Huber loss, Adam with gradient-norm
clipping, and an epsilon schedule falling linearly over ``epsilon_steps`` environment steps.
``reinforce``: the policy gradient with Monte-Carlo returns (an episode cut off by a time limit is
followed by the baseline's value of where it stopped) and a learned value baseline (a network
with the policy's hidden layers and one output) subtracted from the returns, and an optional entropy
bonus. All randomness comes from the run's generators (numpy's for acting and sampling, torch's for
dropout), saved with the run."""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F

from . import optimizers
from .errors import NbdlError
from .network import Network, NetworkSpec
from .registry import Registry
from .rl_replay import ReplayBuffer

NAN = float("nan")


def epsilon_at(steps: int, start: float, end: float, over: int) -> float:
    """The exploration rate after ``steps`` environment steps: linear from ``start`` to ``end``."""
    return end + (start - end) * max(0.0, 1.0 - steps / over)


def finite(reward: Any) -> float:
    """A reward as a float; one error for one that is not a finite number."""
    try:
        value = float(reward)
    except (TypeError, ValueError):
        value = float("nan")
    if not np.isfinite(value):
        raise NbdlError(f"the environment gave a reward of {reward!r}; rewards must be finite numbers")
    return value


def discounted(rewards: np.ndarray, gamma: float, after: float = 0.0) -> np.ndarray:
    """The return from each step: its reward plus ``gamma`` times the next step's return, the last
    step followed by ``after`` (0 when the episode terminated; the baseline's value of the next state
    when it was cut off, since the task goes on from there)."""
    returns = np.zeros(len(rewards), np.float64)
    running = after
    for t in range(len(rewards) - 1, -1, -1):
        running = rewards[t] + gamma * running
        returns[t] = running
    return returns


def copied(weights: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A copy of a state dict's tensors, detached (kept weights, a checkpoint's parts)."""
    return {k: v.detach().clone() for k, v in weights.items()}


def optimizer_state(optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    """An optimizer's state as plain values and tensors with text keys (for a checkpoint)."""
    saved = optimizer.state_dict()
    return {"state": {str(i): {k: v.detach().clone() if torch.is_tensor(v) else v for k, v in s.items()}
                      for i, s in saved["state"].items()},
            "param_groups": saved["param_groups"]}


def load_optimizer_state(optimizer: torch.optim.Optimizer, saved: dict[str, Any]) -> None:
    own = optimizer.state_dict()
    groups = [{**g, **{k: v for k, v in s.items() if k != "params"}} for g, s in zip(own["param_groups"],
                                                                                   saved["param_groups"])]
    optimizer.load_state_dict({"state": {int(i): s for i, s in saved["state"].items()}, "param_groups": groups})


class Agent:
    """What the loop talks to. ``act`` picks an exploring action, ``greedy`` the best one,
    ``observe`` takes one transition and returns a loss when it learned, ``end_episode`` likewise."""

    figures: tuple[str, ...] = ()

    def __init__(self, model: Network, settings: dict[str, Any], rng: np.random.Generator):
        self.model, self.settings, self.rng = model, settings, rng
        self.steps = 0  # environment steps taken while training

    def observed(self, observation: Any) -> np.ndarray:
        """An environment's observation as the network takes it (flat float32); one error for a wrong
        size or a value that is not a finite number."""
        size = self.model.input_shape[0]
        try:
            seen = np.asarray(observation, dtype=np.float32).reshape(-1)
        except (TypeError, ValueError):
            raise NbdlError(f"the environment gave an observation that is not numbers: {observation!r:.80}") from None
        if seen.size != size:
            raise NbdlError(f"the environment gave an observation of shape {np.shape(observation)} ({seen.size} "
                            f"numbers) but the network takes {size}; its observation_size must match what "
                            "reset() and step() give")
        if not np.isfinite(seen).all():
            raise NbdlError(f"the environment gave an observation with NaN or infinite values: {seen[:8]}")
        return seen

    def scores(self, observations: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return self.model.logits(torch.as_tensor(np.asarray(observations, np.float32))).numpy()

    def greedy(self, observation: np.ndarray) -> int:
        with torch.no_grad():
            return int(self.model.logits(torch.from_numpy(self.observed(observation))).argmax())

    def networks(self) -> list[torch.nn.Module]:
        """Every network the agent runs (the run points their dropout at its own generator)."""
        return [self.model]

    def epsilon(self) -> float:
        return NAN

    def end_episode(self) -> float | None:
        return None

    def drop_episode(self) -> None:
        """Forget an episode cut short by a stop."""


class DQN(Agent):
    """Deep Q-learning (Mnih et al. 2015) with Double DQN targets (van Hasselt et al. 2016)."""

    def __init__(self, model: Network, settings: dict[str, Any], rng: np.random.Generator):
        super().__init__(model, settings, rng)
        s = settings
        if s["learn_start"] > s["buffer"]:
            raise NbdlError(f"learn_start {s['learn_start']} is more than the {s['buffer']} transitions the buffer "
                            "holds, so the agent would never learn; make learn_start at most buffer")
        self.target = copy.deepcopy(model).requires_grad_(False)
        self.optimizer = optimizers.make("adam", model.parameters(), lr=s["lr"])
        self.buffer = ReplayBuffer(s["buffer"], model.input_shape[0], s["batch_size"])
        self.n_actions = model.output_shape[0]
        self.target_copies = 0

    def networks(self) -> list[torch.nn.Module]:
        return [self.model, self.target]

    def epsilon(self) -> float:
        s = self.settings
        return epsilon_at(self.steps, s["epsilon_start"], s["epsilon_end"], s["epsilon_steps"])

    def act(self, observation: np.ndarray) -> int:
        if self.rng.random() < self.epsilon():
            return int(self.rng.integers(self.n_actions))
        return self.greedy(observation)

    def observe(self, observation, action, reward, next_observation, terminated) -> float | None:
        s = self.settings
        self.buffer.add(self.observed(observation), action, finite(reward), self.observed(next_observation),
                        terminated)
        self.steps += 1
        loss = None
        if self.buffer.size >= s["learn_start"] and self.steps % s["train_every"] == 0:
            loss = self.learn()
        if self.steps % s["target_every"] == 0:
            self.target.load_state_dict(self.model.state_dict())
            self.target_copies += 1
        return loss

    def learn(self) -> float:
        s = self.settings
        observations, actions, rewards, next_observations, ends = self.buffer.sample(self.rng)
        with torch.no_grad():
            later = self.target.logits(next_observations)  # (batch, actions)
            if s["double"]:  # the online network picks the action, the target network values it
                best = self.model.logits(next_observations).argmax(1, keepdim=True)
                value = later.gather(1, best)[:, 0]
            else:
                value = later.max(1).values
            target = rewards + s["gamma"] * (1.0 - ends) * value
        q = self.model.logits(observations).gather(1, actions[:, None])[:, 0]
        loss = F.smooth_l1_loss(q, target)  # Huber, delta 1
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), s["grad_clip"])
        self.optimizer.step()
        return float(loss.detach())

    def q_values(self, observations: np.ndarray) -> np.ndarray:
        return self.scores(observations)

    def state_values(self, observations: np.ndarray) -> np.ndarray:
        return self.scores(observations).max(axis=1)

    def state_dict(self) -> dict[str, Any]:
        return {"steps": self.steps, "target_copies": self.target_copies, "target": copied(self.target.state_dict()),
                "optimizer": optimizer_state(self.optimizer), "buffer": self.buffer.state_dict()}

    def load_state_dict(self, saved: dict[str, Any]) -> None:
        self.target.load_state_dict(saved["target"])
        load_optimizer_state(self.optimizer, saved["optimizer"])
        self.buffer.load_state_dict(saved["buffer"])
        self.steps, self.target_copies = int(saved["steps"]), int(saved["target_copies"])


def value_spec(policy: NetworkSpec) -> NetworkSpec:
    """The baseline's network: the policy's layers up to its last dense layer, then 'dense 1'."""
    layers = list(policy.layers)
    last = max((i for i, layer in enumerate(layers) if layer.type == "dense"), default=len(layers))
    return NetworkSpec([*layers[:last], "dense 1"])


class Reinforce(Agent):
    """REINFORCE (Williams 1992) with a learned value baseline."""

    def __init__(self, model: Network, settings: dict[str, Any], rng: np.random.Generator):
        super().__init__(model, settings, rng)
        self.value = value_spec(model.spec).build(model.input_shape)
        self.optimizer = optimizers.make("adam", [*model.parameters(), *self.value.parameters()], lr=settings["lr"])
        self.episode: list[tuple[np.ndarray, int, float]] = []
        self.cut_at: np.ndarray | None = None  # the state after the last step when the episode was cut off

    def networks(self) -> list[torch.nn.Module]:
        return [self.model, self.value]

    def probabilities(self, observations: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return torch.softmax(self.model.logits(torch.as_tensor(np.asarray(observations, np.float32))), -1).numpy()

    def act(self, observation: np.ndarray) -> int:
        p = self.probabilities(self.observed(observation)).astype(np.float64)
        return min(int(np.searchsorted(np.cumsum(p), self.rng.random() * p.sum(), side="right")), len(p) - 1)

    def drop_episode(self) -> None:
        self.episode, self.cut_at = [], None

    def observe(self, observation, action, reward, next_observation, terminated) -> None:
        self.episode.append((self.observed(observation), action, finite(reward)))
        self.cut_at = None if terminated else self.observed(next_observation)
        self.steps += 1

    def end_episode(self) -> float | None:
        if not self.episode:
            return None
        s = self.settings
        observations = torch.from_numpy(np.stack([o for o, _, _ in self.episode]))
        actions = torch.tensor([a for _, a, _ in self.episode])
        rewards = np.array([r for _, _, r in self.episode], np.float64)
        after = 0.0
        if self.cut_at is not None:  # truncated, not terminated: bootstrap from the baseline
            with torch.no_grad():
                after = float(self.value.logits(torch.from_numpy(self.cut_at[None]))[0, 0])
        self.episode, self.cut_at = [], None
        returns = discounted(rewards, s["gamma"], after)
        returns_t = torch.from_numpy(returns.astype(np.float32))
        values = self.value.logits(observations)[:, 0]
        # the learned baseline centres the returns; centring on the episode's own mean as well would
        # reward half the moves of every episode, so an agent bumping a wall all episode never learns out of it
        advantage = returns_t - values.detach()
        logp = torch.log_softmax(self.model.logits(observations), -1)
        chosen = logp.gather(1, actions[:, None])[:, 0]
        entropy = -(logp.exp() * logp).sum(1).mean()
        policy_loss = -(chosen * advantage).mean() - s["entropy"] * entropy
        value_loss = F.smooth_l1_loss(values, returns_t)
        self.optimizer.zero_grad(set_to_none=True)
        (policy_loss + value_loss).backward()
        torch.nn.utils.clip_grad_norm_([*self.model.parameters(), *self.value.parameters()], s["grad_clip"])
        self.optimizer.step()
        return float(policy_loss.detach())

    def q_values(self, observations: np.ndarray) -> np.ndarray:
        return self.probabilities(observations)

    def state_values(self, observations: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return self.value.logits(torch.as_tensor(np.asarray(observations, np.float32)))[:, 0].numpy()

    def state_dict(self) -> dict[str, Any]:
        return {"steps": self.steps, "value": copied(self.value.state_dict()),
                "optimizer": optimizer_state(self.optimizer)}

    def load_state_dict(self, saved: dict[str, Any]) -> None:
        self.value.load_state_dict(saved["value"])
        load_optimizer_state(self.optimizer, saved["optimizer"])
        self.steps = int(saved["steps"])


@dataclass(frozen=True)
class Algorithm:
    """A named algorithm: ``make(model, settings, rng)`` gives its agent; ``defaults`` fill the
    settings left at None; ``explores`` says whether it has an epsilon."""

    name: str
    make: Callable[[Network, dict[str, Any], np.random.Generator], Agent]
    description: str
    defaults: dict[str, Any] = field(default_factory=dict)
    explores: bool = False


algorithms: Registry[Algorithm] = Registry("algorithm")
algorithms.add("dqn", Algorithm(
    "dqn", DQN, "deep Q-learning: replay buffer, target network, epsilon-greedy, Double DQN",
    {"episodes": 300, "lr": 5e-4}, explores=True))
algorithms.add("reinforce", Algorithm(
    "reinforce", Reinforce, "policy gradient with Monte-Carlo returns and a learned value baseline",
    {"episodes": 500, "lr": 3e-3}))
