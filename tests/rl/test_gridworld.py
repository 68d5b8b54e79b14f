"""The built-in grid world: its moves, rewards and endings, its one-hot observation, its picture,
and value iteration against values worked out by hand."""
import inspect

import numpy as np
import pytest

from nbdl.core.errors import NbdlError
from nbdl.core.gridworld import OPTIONS, GridWorld
from nbdl.core.rl_env import Environment, make_env

UP, RIGHT, DOWN, LEFT = range(4)


def test_the_registered_gridworld_is_a_5x5_maze_with_a_goal_pits_and_walls():
    env = make_env("gridworld")
    assert isinstance(env, GridWorld) and isinstance(env, Environment)
    assert (env.rows, env.cols, env.observation_size, env.n_actions) == (5, 5, 25, 4)
    kinds = [env.kind(r, c) for r in range(5) for c in range(5)]
    assert kinds.count("goal") == 1 and kinds.count("pit") == 2 and kinds.count("start") == 1
    assert kinds.count("wall") >= 3
    assert len(env.cells()) == 25 - kinds.count("wall")
    assert all(env.kind(r, c) != "wall" for r, c in env.cells())


def test_the_observation_is_a_one_hot_of_the_cell():
    env = GridWorld("S..\n.#G")
    first = env.reset(seed=0)
    assert first.dtype == np.float32 and first.shape == (6,)
    np.testing.assert_array_equal(first, np.eye(6, dtype=np.float32)[0])
    observation, *_ = env.step(DOWN)
    np.testing.assert_array_equal(observation, env.observation(1, 0))
    assert observation.sum() == 1 and observation[1 * 3 + 0] == 1


def test_walls_and_edges_block_a_move_and_cost_a_step():
    env = GridWorld("S#G\n...", step_cost=0.1)
    env.reset()
    assert env.step(RIGHT)[1:] == (-0.1, False, False) and env.position == (0, 0)  # the wall
    assert env.step(UP)[1:] == (-0.1, False, False) and env.position == (0, 0)  # the edge
    assert env.step(LEFT)[1:] == (-0.1, False, False) and env.position == (0, 0)
    env.step(DOWN)
    assert env.position == (1, 0)
    env.step(RIGHT)
    env.step(UP)
    assert env.position == (1, 1)  # the wall from below


def test_the_goal_and_a_pit_end_the_episode_with_their_rewards():
    env = GridWorld("PSG", goal=1.0, pit=1.0)
    env.reset()
    assert env.step(RIGHT)[1:] == (1.0, True, False)
    with pytest.raises(NbdlError, match="call reset"):
        env.step(LEFT)
    env.reset()
    assert env.step(LEFT)[1:] == (-1.0, True, False)


def test_the_step_limit_truncates_the_episode():
    env = GridWorld("S.G", max_steps=3)
    env.reset()
    ends = [env.step(LEFT)[2:] for _ in range(3)]
    assert ends == [(False, False), (False, False), (False, True)]
    env.reset()  # a new episode counts from 0 again
    assert env.step(LEFT)[2:] == (False, False)


def test_slip_moves_at_random_that_often():
    env = GridWorld("G.S..", slip=0.4)
    env.reset(seed=1)
    moved = 0
    for _ in range(4000):
        env.reset()
        env.step(UP)  # up hits the edge: the agent moves only when it slips left or right
        moved += env.position != env.start
    assert abs(moved / 4000 - 0.4 / 2) < 0.025  # slip 0.4, a random one of 4 directions, 2 of them move


def test_value_iteration_matches_values_worked_by_hand():
    # S . G        gamma 0.9, step cost 0.04:
    # . # P        V(0,1) = 1 (one step to the goal); V(0,0) = -0.04 + 0.9 * 1 = 0.86;
    #              V(1,0) = -0.04 + 0.9 * 0.86 = 0.734; the goal and the pit 0, the wall NaN.
    values = GridWorld("S.G\n.#P", step_cost=0.04).true_values(gamma=0.9)
    expected = np.array([[0.86, 1.0, 0.0], [0.734, np.nan, 0.0]])
    np.testing.assert_allclose(values, expected, atol=1e-9)


def test_value_iteration_with_slip_and_with_an_unreachable_goal():
    # S G with slip 0.5: moving right reaches G with 0.5 + 0.5/4 = 0.625, else stays (3 edges):
    # V = 0.625 * 1 + 0.375 * (-0.04 + 0.9 V)  =>  V = 0.61 / (1 - 0.3375)
    values = GridWorld("SG", slip=0.5).true_values(gamma=0.9)
    assert values[0, 0] == pytest.approx(0.61 / (1 - 0.3375), abs=1e-9)
    # The goal walled off, a pit at hand: walking forever (-0.04 / (1 - 0.9) = -0.4) beats the pit (-1).
    values = GridWorld("S#G\n..P").true_values(gamma=0.9)
    np.testing.assert_allclose(values[[0, 1, 1], [0, 0, 1]], -0.4, atol=1e-8)


def test_the_picture_shows_walls_goal_pits_and_the_agent():
    env = GridWorld("S#G\n..P", cell=40)
    env.reset()
    picture = env.render()
    assert picture.shape == (80, 120, 3) and picture.dtype == np.uint8

    def centre(r, c, dy=0, dx=0):
        return tuple(picture[r * 40 + 20 + dy, c * 40 + 20 + dx])

    assert centre(0, 1) == (60, 60, 60)  # wall dark
    assert centre(0, 2) == (44, 160, 44)  # goal green
    assert centre(1, 2) == (214, 39, 40)  # pit red
    assert centre(0, 0) == (31, 119, 180)  # the agent's circle
    assert centre(0, 0, dy=-18, dx=-18) != (31, 119, 180)  # a circle, not the whole cell
    env.step(2)
    assert env.render()[1 * 40 + 20, 20].tolist() == [31, 119, 180]


@pytest.mark.parametrize("layout, message", [
    ("S.\n...G", "rows have different lengths"),
    ("S.X.G", "unknown cell 'X'"),
    ("S.S.G", "2 starts"),
    ("S...", "no goal"),
])
def test_a_bad_layout_says_what_is_wrong(layout, message):
    with pytest.raises(NbdlError, match=message):
        GridWorld(layout)


def test_the_constructor_defaults_are_the_declared_options():
    signature = inspect.signature(GridWorld).parameters
    assert {o.name: o.default for o in OPTIONS} == {o.name: signature[o.name].default for o in OPTIONS}
