"""DQN's replay buffer: the last ``capacity`` transitions in preallocated numpy arrays (a ring), from
which ``sample`` draws batches into fixed arrays that torch tensors share, so a step allocates nothing."""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .errors import NbdlError

FIELDS = ("observations", "actions", "rewards", "next_observations", "ends")  # what a transition holds, in order


class ReplayBuffer:
    """The last ``capacity`` transitions in preallocated arrays; ``sample`` fills fixed batch arrays."""

    def __init__(self, capacity: int, observation_size: int, batch_size: int):
        self.capacity, self.size, self.position = capacity, 0, 0
        try:
            self.observations = np.zeros((capacity, observation_size), np.float32)
            self.next_observations = np.zeros((capacity, observation_size), np.float32)
        except MemoryError:
            raise NbdlError(f"a replay buffer of {capacity} transitions needs "
                            f"{capacity * (2 * observation_size + 4) * 4 / 2**30:.3g} GiB, more than this machine "
                            "gives; make buffer smaller (default 50000)") from None
        self.actions = np.zeros(capacity, np.int64)
        self.rewards = np.zeros(capacity, np.float32)
        self.ends = np.zeros(capacity, np.float32)  # 1 where the episode terminated (no value after it)
        # (batch, ...) arrays reused by every sample; the tensors share their memory
        self.batch = [np.zeros((batch_size, *a.shape[1:]), a.dtype) for a in self.arrays()]
        self.tensors = [torch.from_numpy(b) for b in self.batch]

    def arrays(self) -> list[np.ndarray]:
        """The arrays in the order of ``FIELDS``."""
        return [self.observations, self.actions, self.rewards, self.next_observations, self.ends]

    def add(self, observation, action: int, reward: float, next_observation, terminated: bool) -> None:
        i = self.position
        self.observations[i] = observation
        self.actions[i] = action
        self.rewards[i] = reward
        self.next_observations[i] = next_observation
        self.ends[i] = terminated
        self.position = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, rng: np.random.Generator) -> list[torch.Tensor]:
        """A batch drawn uniformly with replacement: (observations, actions, rewards, next, ends)."""
        rows = rng.integers(0, self.size, len(self.batch[0]))
        for source, target in zip(self.arrays(), self.batch):
            np.take(source, rows, axis=0, out=target)
        return self.tensors

    def state_dict(self) -> dict[str, Any]:
        n = self.size  # only the filled rows
        return {"size": n, "position": self.position,
                **{name: torch.from_numpy(a[:n].copy()) for name, a in zip(FIELDS, self.arrays())}}

    def load_state_dict(self, saved: dict[str, Any]) -> None:
        n, position = int(saved["size"]), int(saved["position"])
        if not 0 <= n <= self.capacity or not 0 <= position < self.capacity:
            raise NbdlError(f"its replay buffer holds {n} transitions written up to row {position}, which do not fit "
                            f"the {self.capacity} the run's buffer setting makes room for; load it with the buffer "
                            "setting it was saved with")
        for name, a in zip(FIELDS, self.arrays()):
            a[:n] = saved[name].numpy().reshape(a[:n].shape)
        self.size, self.position = n, position
