"""The learning claims: DQN solves CartPole-v1 (a greedy mean of at least 195 over 20 new episodes)
and REINFORCE's moving average rises far above a random policy's."""
import time

import numpy as np
import pytest

from nbdl.core.rl import rl
from nbdl.core.rl_env import make_env

NET = "input 4\ndense 64 relu\ndense 64 relu\ndense 2"


def random_policy_mean(episodes=100, seed=0) -> float:
    env, rng, returns = make_env("CartPole-v1"), np.random.default_rng(seed), []
    for i in range(episodes):
        env.reset(seed=10_000 + i)
        total, done = 0.0, False
        while not done:
            _, reward, terminated, truncated = env.step(int(rng.integers(2)))
            total, done = total + reward, terminated or truncated
        returns.append(total)
    return float(np.mean(returns))


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dqn_solves_cartpole(seed):
    started = time.process_time()
    run = rl(NET, env="CartPole-v1", algo="dqn", seed=seed)  # defaults: stop once the greedy mean reaches 195
    seconds = time.process_time() - started
    returns = run.play(20, seed=100)  # 20 episodes the evaluations never saw
    print(f"\nDQN seed {seed}: solved after {run.episode} episodes ({run.agent.steps} steps), {run.seconds:.1f} s; "
          f"greedy mean over 20 new episodes {np.mean(returns):.1f}")
    assert run.stop_reason.startswith("solved")
    assert np.mean(returns) >= 195
    assert seconds < 120


@pytest.mark.slow
def test_reinforce_rises_far_above_a_random_policy():
    random_mean = random_policy_mean()
    assert 15 < random_mean < 30  # CartPole's random policy: ~22
    run = rl(NET, env="CartPole-v1", algo="reinforce", episodes=300, seed=0, stop_when_solved=False)
    average = run.history["average"][-1]
    print(f"\nREINFORCE seed 0: average of the last 20 returns after {run.episode} episodes {average:.1f} "
          f"({run.seconds:.1f} s); a random policy's mean {random_mean:.1f}")
    # measured over seeds 0-2 at 300 episodes: 477-500, so 4x random (~90) holds with a wide margin
    assert average >= 4 * random_mean
