"""Reinforcement learning: ``nbdl.rl(network, env="CartPole-v1", algo="dqn")`` trains an agent whose
network is written in the text form and returns an ``RlRun``.

The loop plays episodes; the agent (``rl_agents``) acts and learns, and after every episode the run
logs one history row (``return``, its 20-episode ``average``, ``epsilon``, ``loss``, ``steps``,
``seconds``, ``greedy``) and calls its callbacks' ``on_epoch_end``. Every ``eval_every`` episodes the
greedy policy plays ``eval_episodes`` episodes on a separately seeded copy of the environment; the
best greedy weights are kept and the model holds them when a fit ends (DQN forgets after a peak),
while the next fit goes on from the last weights. Stop, pause and resume work from any thread;
Ctrl-C stops between two steps. An episode cut short by a stop is not counted."""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from . import activations, checkpoint, randomness, rl_store
from .errors import NbdlError, spell
from .looping import Looping, checked, filled, refuse_unknown
from .network import NetworkSpec, text_form
from .options import BOOL, CHOICE, FLOAT, INT, OBJECT, TEXT, declared, option
from .rl_agents import algorithms, copied
from .rl_env import Environment, make_env, solved_return
from .state import part

AVERAGE = 20  # episodes in the moving average of the return
KEYS = ("episode", "return", "average", "epsilon", "loss", "steps", "seconds", "greedy")
TRAIN, EVALUATE, PLAY = 1, 2, 3  # streams of environment seeds


@dataclass
class RlConfig:
    """One reinforcement-learning experiment; episodes and lr left at None take the algorithm's defaults."""

    network: Any = option(None, "the network: text form, 'input <observations>' ... 'dense <actions>'", kind=OBJECT)
    env: Any = option("CartPole-v1", "the environment: CartPole-v1, Acrobot-v1, gridworld or a Gymnasium id",
                      kind=OBJECT)
    algo: str = option("dqn", "the algorithm: dqn or reinforce", kind=CHOICE, choices=algorithms)
    episodes: int | None = option(None, "episodes to train (default: dqn 300, reinforce 500)", kind=INT, low=1,
                                  optional=True)
    lr: float | None = option(None, "Adam's learning rate (default: dqn 5e-4, reinforce 3e-3)", kind=FLOAT, low=0,
                              low_open=True, optional=True)
    gamma: float = option(0.99, "the discount of future rewards", kind=FLOAT, low=0, high=1)
    batch_size: int = option(64, "dqn: transitions per update", kind=INT, low=1)
    buffer: int = option(50_000, "dqn: transitions the replay buffer keeps", kind=INT, low=1)
    learn_start: int = option(1000, "dqn: transitions collected before the first update", kind=INT, low=1)
    train_every: int = option(1, "dqn: environment steps between two updates", kind=INT, low=1)
    target_every: int = option(500, "dqn: environment steps between two copies into the target network", kind=INT,
                               low=1)
    double: bool = option(True, "dqn: Double DQN targets (the online network picks, the target values)", kind=BOOL)
    epsilon_start: float = option(1.0, "dqn: the share of random actions at first", kind=FLOAT, low=0, high=1)
    epsilon_end: float = option(0.05, "dqn: the share of random actions at the end", kind=FLOAT, low=0, high=1)
    epsilon_steps: int = option(10_000, "dqn: environment steps over which epsilon falls linearly", kind=INT, low=1)
    entropy: float = option(0.01, "reinforce: the weight of the entropy bonus (0: none)", kind=FLOAT, low=0)
    grad_clip: float = option(10.0, "the largest gradient norm of an update", kind=FLOAT, low=0, low_open=True)
    eval_every: int = option(10, "episodes between two greedy evaluations", kind=INT, low=1)
    eval_episodes: int = option(10, "episodes each greedy evaluation plays", kind=INT, low=1)
    stop_when_solved: bool = option(True, "stop when the greedy mean reaches the environment's solved return",
                                    kind=BOOL)
    max_steps: int = option(1000, "steps after which an episode is cut off", kind=INT, low=1)
    seed: int = option(0, "the seed of the weights, the exploration and the environments", kind=INT, low=0,
                       high=2**32 - 1)
    checkpoint: str | None = option(None, "a folder to save the run in, every checkpoint_every episodes and at the "
                                    "end", kind=TEXT, optional=True, metavar="DIR")
    checkpoint_every: int = option(10, "episodes between two checkpoints", kind=INT, low=1)


OPTIONS = declared(RlConfig)
SETTINGS = tuple(o for o in OPTIONS if o.kind != OBJECT)  # what a flag or keyword sets
EPISODES = next(o for o in OPTIONS if o.name == "episodes")
SEED = next(o for o in OPTIONS if o.name == "seed")


def settled(config: RlConfig) -> dict[str, Any]:
    """Every setting checked (all problems in one error), episodes and lr filled from the algorithm's."""
    values = checked(config, SETTINGS, "RL settings")
    algorithm = algorithms.get(values["algo"])
    values["algo"] = algorithm.name
    return filled(values, algorithm.defaults)


def environment_seed(seed: int, stream: int, index: int) -> int:
    """The seed of one episode: the run's seed, which stream (training, evaluation, play), its number."""
    return int(np.random.SeedSequence((seed, stream, index)).generate_state(1)[0])


def check_network(spec, env: Environment) -> None:
    """One error naming the network's sizes and the environment's when they do not fit."""
    shape = tuple(spec.input_shape or (env.observation_size,))
    inputs, outputs = "x".join(map(str, shape)), "x".join(map(str, spec.shapes(shape)[-1]))  # a bad layer raises
    if shape != (env.observation_size,) or outputs != str(env.n_actions):
        raise NbdlError(f"the network takes {inputs} inputs and gives {outputs} outputs, but {env.name} observes "
                        f"{env.observation_size} numbers and has {env.n_actions} actions; make the first line "
                        f"'input {env.observation_size}' and the last 'dense {env.n_actions}'")
    last = getattr(spec.layers[-1], "activation", "linear")  # a softmax is taken off (the scores are its logits)
    if activations.registry.canonical(last) not in ("linear", "softmax"):
        raise NbdlError(f"the last layer ends in {last}, which bounds the action scores; end with a plain "
                        f"'dense {env.n_actions}' (Q values and a policy's scores are unbounded numbers)")


class RlRun(Looping):
    """An agent being trained: ``model``, ``env``, ``history``, ``fit()``, ``play()``, ``save()``."""

    FINISHED = ("solved",)

    def __init__(self, config: RlConfig):
        super().__init__()
        self.config = config
        self.settings = s = settled(config)
        spec = text_form(config.network, example="input 4\\ndense 64 relu\\ndense 2")
        self.env = make_env(config.env, render=isinstance(config.env, str))
        check_network(spec, self.env)
        self.evaluation_env = make_env(config.env) if isinstance(config.env, str) else self.env
        self.solved = solved_return(self.env)
        with randomness.seeded(s["seed"]):
            self.model = spec.build((self.env.observation_size,))
        self.rng = np.random.default_rng(np.random.SeedSequence((s["seed"], 0)))
        self.algorithm = algorithms.get(s["algo"])
        with randomness.seeded(s["seed"] + 1):
            self.agent = self.algorithm.make(self.model, s, self.rng)
        self.generator = torch.Generator().manual_seed(s["seed"])  # dropout's draws, saved with the run
        for network in self.agent.networks():
            randomness.adopt(network, self.generator)
        self.history: dict[str, list[float]] = {key: [] for key in KEYS}
        self.episode = 0
        self.best_greedy: float | None = None
        self.best_episode: int | None = None
        self.best_weights: dict[str, torch.Tensor] | None = None
        self.last_weights: dict[str, torch.Tensor] | None = None  # where training goes on from
        self._render_env: Environment | None = None

    @property
    def epoch(self) -> int:  # the checkpoint callback counts epochs
        return self.episode

    # -- training --------------------------------------------------------------------------------
    def fit(self, episodes: int | None = None, callbacks: Any = None) -> "RlRun":
        """Train ``episodes`` more episodes (default: the settings'); Ctrl-C stops between steps."""
        n = self.settings["episodes"] if episodes is None else EPISODES.check(episodes, subject=spell("episodes"))
        saving = [checkpoint.Checkpoint(self.settings["checkpoint"], self.settings["checkpoint_every"])] \
            if self.settings["checkpoint"] else []
        if self.last_weights is not None:
            self.model.load_state_dict(self.last_weights)

        def step(listeners) -> bool:
            row = self._episode()
            if row is None:  # a stop came during the episode
                return False
            self._log(row, listeners)
            return True

        def end(listeners) -> None:
            self.last_weights = copied(self.model.state_dict())
            if self.best_weights is not None:
                self.model.load_state_dict(self.best_weights)
        self.loop(n, step, callbacks, own=saving, end=end)
        return self

    def _episode(self) -> dict[str, float] | None:
        """Play and learn one episode; None when a stop came first (the episode is not counted)."""
        agent, env, control, limit = self.agent, self.env, self.control, self.settings["max_steps"]
        observation = env.reset(seed=environment_seed(self.settings["seed"], TRAIN, self.episode))
        total, losses = 0.0, []
        for _ in range(limit):
            if not control.wait_for_batch():
                agent.drop_episode()
                return None
            action = agent.act(observation)
            after, reward, terminated, truncated = env.step(action)
            loss = agent.observe(observation, action, reward, after, terminated)
            if loss is not None:
                losses.append(loss)
            total += reward
            observation = after
            if terminated or truncated:
                break
        loss = agent.end_episode()
        if loss is not None:
            losses.append(loss)
        self.episode += 1
        returns = self.history["return"][-(AVERAGE - 1):] + [total]
        row = {"episode": float(self.episode), "return": total, "average": float(np.mean(returns)),
               "epsilon": agent.epsilon(), "loss": float(np.mean(losses)) if losses else float("nan"),
               "steps": float(agent.steps), "greedy": float("nan")}
        if losses and self.diverged(row["loss"], "the loss", "try a lower lr"):
            return row  # no greedy evaluation of NaN weights; the best ones so far are kept
        if self.episode % self.settings["eval_every"] == 0:
            row["greedy"] = self._evaluate()
        return row

    def _evaluate(self) -> float:
        """The greedy policy's mean return; the best weights so far kept; a stop when solved."""
        s = self.settings
        mean = float(np.mean(self.play(s["eval_episodes"], stream=EVALUATE)))
        if self.best_greedy is None or mean > self.best_greedy:
            self.best_greedy, self.best_episode = mean, self.episode
            self.best_weights = copied(self.model.state_dict())
        if s["stop_when_solved"] and self.solved is not None and mean >= self.solved:
            self.control.stop("solved")
            self.stop_reason = f"solved: greedy mean {mean:g} >= {self.solved:g} after {self.episode} episodes"
        return mean

    def _log(self, row: dict[str, float], listeners) -> None:
        self.seconds = row["seconds"] = self.elapsed()
        for key in KEYS:
            self.history[key].append(float(row[key]))
        for c in listeners:
            c.on_epoch_end(self, row)

    # -- results ---------------------------------------------------------------------------------
    def play(self, episodes: int = 5, seed: int | None = None, stream: int = PLAY) -> list[float]:
        """The greedy policy's return in each of ``episodes`` new episodes (argmax of the network)."""
        episodes = EPISODES.check(episodes, subject="episodes")
        env, limit, greedy = self.evaluation_env, self.settings["max_steps"], self.agent.greedy
        base = self.settings["seed"] if seed is None else SEED.check(seed, subject="seed")
        returns = []
        with self._greedy():
            for i in range(episodes):
                observation, total = env.reset(seed=environment_seed(base, stream, i)), 0.0
                for _ in range(limit):
                    observation, reward, terminated, truncated = env.step(greedy(observation))
                    total += reward
                    if terminated or truncated:
                        break
                returns.append(total)
        return returns

    @contextlib.contextmanager
    def _greedy(self):
        """The network as the greedy policy: evaluation mode (no dropout draws), no gradients."""
        training = self.model.training
        self.model.eval()
        try:
            with torch.no_grad():
                yield
        finally:
            self.model.train(training)

    def frame(self) -> np.ndarray | None:
        """A picture (H, W, 3) of the training environment now, or None where it cannot draw."""
        return self.env.render()

    def frames(self, episodes: int = 1, limit: int = 300) -> list[np.ndarray]:
        """The pictures of ``episodes`` greedy episodes, at most ``limit`` in all (for an animation)."""
        episodes, limit = EPISODES.check(episodes, subject="episodes"), EPISODES.check(limit, subject="limit")
        if self._render_env is None:
            self._render_env = make_env(self.config.env, render=True) if isinstance(self.config.env, str) \
                else self.env
        env, pictures = self._render_env, []
        with self._greedy():
            for i in range(episodes):
                observation = env.reset(seed=environment_seed(self.settings["seed"], PLAY, i))
                done = False
                while not done and len(pictures) < limit:
                    picture = env.render()
                    if picture is None:
                        return pictures
                    pictures.append(picture)
                    observation, _, terminated, truncated = env.step(self.agent.greedy(observation))
                    done = terminated or truncated
                if done and len(pictures) < limit:
                    pictures.append(env.render())  # where the episode ended: on the goal, the pole down
        return pictures

    def q_values(self, observations: np.ndarray) -> np.ndarray:
        """(n, actions): the Q values (dqn) or the policy's probabilities (reinforce)."""
        return self.agent.q_values(self.rows(observations))

    def state_values(self, observations: np.ndarray) -> np.ndarray:
        """(n,): the largest Q value (dqn) or the learned baseline's value (reinforce)."""
        return self.agent.state_values(self.rows(observations))

    def rows(self, observations: Any) -> np.ndarray:
        """(n, observation_size) float32 from one observation or many; one error for another size."""
        size, rows = self.env.observation_size, np.asarray(observations, np.float32)
        if rows.size == 0 or rows.shape[-1] != size:
            raise NbdlError(f"observations of shape {rows.shape} are not rows of {size} numbers, what {self.env.name} "
                            "observes")
        return rows.reshape(-1, size)

    def save(self, path) -> None:
        """Save the run (weights, agent, history, generator) to a checkpoint file."""
        rl_store.save(self, path)

    def summary(self) -> str:
        """One line: what trained how long, the last average return, the best greedy evaluation."""
        h, name, n = self.history, self.env.name, self.settings["eval_episodes"]
        parts = [f"{self.settings['algo']} on {name}: {self.episode} episodes, {self.agent.steps:,} steps in "
                 f"{self.seconds:.1f} s"]
        if h["return"]:
            parts.append(f"average return of the last {min(AVERAGE, len(h['return']))} {h['average'][-1]:.1f}")
        if self.stop_reason and not self.stop_reason.startswith("solved"):
            parts.append(self.stop_reason)
        if self.best_greedy is not None:
            solved = " (solved)" if self.solved is not None and self.best_greedy >= self.solved else ""
            parts.append(f"best greedy mean {self.best_greedy:g}{solved} over {n} episode{'s' * (n != 1)} after "
                         f"episode {self.best_episode}: the model holds those weights")
        return "; ".join(parts)

    def __repr__(self) -> str:
        return f"RlRun({self.status}: {self.summary()})"


def rl(network: Any, env: Any = "CartPole-v1", algo: str = "dqn", episodes: int | None = None, callbacks: Any = None,
       fit: bool = True, **settings: Any) -> RlRun:
    """Train an agent: ``nbdl.rl("input 4\\ndense 64 relu\\ndense 64 relu\\ndense 2", env="CartPole-v1")``.
    Settings: see ``RlConfig`` (lr, gamma, batch_size, buffer, target_every, epsilon_*, eval_every, seed, ...);
    ``fit=False`` makes the run without training it."""
    refuse_unknown("nbdl.rl", settings, SETTINGS)
    run = RlRun(RlConfig(network, env, algo, episodes, **settings))
    return run.fit(callbacks=callbacks) if fit else run


def load(path, env: Any = None) -> RlRun:
    """An RlRun back from a checkpoint file; ``env`` is needed when it trained in an Environment of your own."""
    values, saved = checkpoint.read(path)
    return restore(values, saved, env)


def restore(values: dict[str, Any], saved: Any, env: Any = None) -> RlRun:
    """An RlRun rebuilt from a checkpoint's config and state (``nbdl.load`` comes here for RL runs)."""
    with part("config"):
        values = dict(values)
        if values.pop("kind", None) != rl_store.KIND:
            raise NbdlError("it does not hold an RL run")
        network, name = NetworkSpec.from_dict(values.pop("network")), values.pop("env")
        if str(name).startswith("<") and env is None:
            raise NbdlError(f"the run trained in your own environment {name}; give it again: "
                            f"nbdl.core.rl.load(path, env=MyEnvironment())")
        names = {o.name for o in SETTINGS}
        config = RlConfig(network, env if env is not None else name,
                          **{k: v for k, v in values.items() if k in names})
    run = RlRun(config)
    rl_store.restore(run, saved)
    return run
