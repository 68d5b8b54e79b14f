"""What an outside user's tryouts of nbdl.rl found: each bad input gets one clear NbdlError naming the
value and what is allowed (never a raw torch/numpy traceback), and REINFORCE learns the grid world."""
import warnings

import numpy as np
import pytest

from nbdl.core.errors import NbdlError
from nbdl.core.gridworld import GridWorld
from nbdl.core.rl import rl
from nbdl.core.rl_env import Environment

GRID = "input 25\ndense 32 relu\ndense 4"


class Counter(Environment):
    """Five steps of reward 1, observations as the user's code gives them (any dtype and shape)."""

    name, observation_size, n_actions = "counter", 6, 2

    def __init__(self, observation=np.zeros(6), reward=1.0):
        self.observation, self.reward, self.steps = observation, reward, 0

    def reset(self, seed=None):
        self.steps = 0
        return self.observation

    def step(self, action):
        self.steps += 1
        return self.observation, self.reward, False, self.steps >= 5


def test_a_wrong_input_size_names_the_networks_outputs():
    with pytest.raises(NbdlError, match=r"takes 5 inputs and gives 2 outputs, but CartPole-v1 observes 4"):
        rl("input 5\ndense 16 relu\ndense 2", fit=False)


def test_a_bounded_last_layer_is_refused_and_a_softmax_taken_as_scores():
    with pytest.raises(NbdlError, match=r"ends in relu.*plain 'dense 2'"):
        rl("input 4\ndense 16 relu\ndense 2 relu", fit=False)
    rl("input 4\ndense 16 relu\ndense 2 softmax", fit=False)


@pytest.mark.parametrize("dtype", [np.float64, np.int64, np.uint8, bool])
def test_reinforce_takes_observations_of_any_number_dtype(dtype):
    run = rl("input 6\ndense 8 relu\ndense 2", env=Counter(np.ones(6, dtype)), algo="reinforce", episodes=3)
    assert run.history["return"] == [5.0, 5.0, 5.0]


@pytest.mark.parametrize("algo", ["dqn", "reinforce"])
def test_an_observation_of_the_wrong_size_or_a_nan_reward_is_one_clear_error(algo):
    with pytest.raises(NbdlError, match=r"observation of shape \(5,\) \(5 numbers\) but the network takes 6"):
        rl("input 6\ndense 8 relu\ndense 2", env=Counter(np.zeros(5)), algo=algo, episodes=1)
    with pytest.raises(NbdlError, match=r"NaN or infinite"):
        rl("input 6\ndense 8 relu\ndense 2", env=Counter(np.full(6, np.nan)), algo=algo, episodes=1)
    with pytest.raises(NbdlError, match=r"a reward of nan; rewards must be finite"):
        rl("input 6\ndense 8 relu\ndense 2", env=Counter(reward=float("nan")), algo=algo, episodes=1, learn_start=1)


def test_a_learn_start_beyond_the_buffer_and_a_buffer_beyond_memory_are_refused():
    with pytest.raises(NbdlError, match=r"learn_start 500 is more than the 100 transitions"):
        rl(GRID, env="gridworld", buffer=100, learn_start=500, fit=False)
    with pytest.raises(NbdlError, match=r"replay buffer of 1000000000000 transitions needs .* GiB.*make buffer smaller"):
        rl(GRID, env="gridworld", buffer=10**12, fit=False)


def test_grid_world_settings_and_layouts_of_the_wrong_kind_are_one_error():
    with pytest.raises(NbdlError, match=r"slip must be a number in \[0, 1\), got 'a'.*max_steps must be a whole "
                                        r"number >= 1, got 2.5.*cell must be"):
        GridWorld(slip="a", max_steps=2.5, cell=0)
    with pytest.raises(NbdlError, match=r"step_cost must be a number"):
        GridWorld(step_cost="x")
    with pytest.raises(NbdlError, match=r"a grid world layout is text, one row a line.*got 5"):
        GridWorld(5)


def test_play_frames_and_values_refuse_bad_arguments_clearly():
    run = rl(GRID, env="gridworld", fit=False)
    with pytest.raises(NbdlError, match=r"seed must be a whole number in \[0, 4294967295\], got -1"):
        run.play(2, seed=-1)
    with pytest.raises(NbdlError, match=r"seed must be .* got 'a'"):
        run.play(2, seed="a")
    with pytest.raises(NbdlError, match=r"limit must be a whole number >= 1, got 0"):
        run.frames(1, limit=0)
    with pytest.raises(NbdlError, match=r"episodes must be a whole number >= 1, got 'x'"):
        run.frames("x")
    with pytest.raises(NbdlError, match=r"shape \(5,\) are not rows of 25 numbers"):
        run.q_values(np.zeros(5))
    assert run.state_values(np.eye(25)[:3]).shape == (3,)


@pytest.mark.parametrize("algo", ["dqn", "reinforce"])
def test_learning_raises_no_warning(algo):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. torch's "Converting a tensor with requires_grad=True to a scalar"
        run = rl(GRID, env="gridworld", algo=algo, episodes=5, learn_start=20, batch_size=8)
    assert not np.isnan(run.history["loss"]).all()


@pytest.mark.parametrize("seed", [0, 2])
def test_reinforce_learns_the_default_grid_world_with_its_defaults(seed):
    # before: the advantages were also centred on each episode's mean, and seed 2 settled in a pit (-1.12);
    # measured after, seeds 0-7: all reach the goal by the shortest path (0.72)
    run = rl("input 25\ndense 64 relu\ndense 4", env="gridworld", algo="reinforce", seed=seed)
    assert np.mean(run.play(5)) == pytest.approx(0.72)
