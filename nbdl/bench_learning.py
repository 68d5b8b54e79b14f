"""How fast agents and meta-learners learn here: ``python -m nbdl.bench_learning [--quick]`` prints
markdown tables of the episodes and seconds DQN takes to solve CartPole-v1 (greedy mean >= 195),
REINFORCE's average return, and the MSE of MAML, Reptile and joint pretraining on new sinusoid tasks
after 0, 1 and 10 steps (Finn et al. 2017), with the seconds each took. Fixed seeds; the figures
are the paper's claims reproduced in small, the seconds this machine's."""
from __future__ import annotations

import argparse
import warnings

import numpy as np

CARTPOLE = "input 4\ndense 64 relu\ndense 64 relu\ndense 2"
SINE = "input 1\ndense 40 relu\ndense 40 relu\ndense 1"
DIGITS = "input 64\ndense 64 relu\ndense 5"


def random_returns(episodes: int = 100, seed: int = 0) -> list[float]:
    """CartPole-v1's returns under a policy that picks actions at random (the floor to beat)."""
    from nbdl.core.rl_env import make_env

    env, rng, returns = make_env("CartPole-v1"), np.random.default_rng(seed), []
    for i in range(episodes):
        env.reset(seed=seed * 1000 + i)
        total, done = 0.0, False
        while not done:
            _, reward, terminated, truncated = env.step(int(rng.integers(env.n_actions)))
            total, done = total + reward, terminated or truncated
        returns.append(total)
    return returns


def rl_report(quick: bool = False) -> str:
    import nbdl

    seeds = [0] if quick else [0, 1, 2, 3, 4]
    lines = ["### DQN on CartPole-v1, 4-64-64-2, the defaults (until the greedy mean of 10 episodes >= 195)", "",
             "| seed | episodes | environment steps | seconds | greedy mean over 20 new episodes |",
             "|---:|---:|---:|---:|---:|"]
    for seed in seeds:
        run = nbdl.rl(CARTPOLE, env="CartPole-v1", algo="dqn", seed=seed, episodes=20 if quick else None)
        played = np.mean(run.play(20, seed=10_000 + seed))
        lines.append(f"| {seed} | {run.episode} | {run.agent.steps:,} | {run.seconds:.1f} | {played:.1f} |")
    episodes = 10 if quick else 300
    lines += ["", f"A random policy's mean return: {np.mean(random_returns(20 if quick else 100)):.1f}.", "",
              f"### REINFORCE (learned baseline) on CartPole-v1, 4-64-64-2, {episodes} episodes", "",
              "| seed | average of the last 20 returns | seconds |", "|---:|---:|---:|"]
    for seed in seeds[:3]:
        run = nbdl.rl(CARTPOLE, env="CartPole-v1", algo="reinforce", seed=seed, episodes=episodes,
                      stop_when_solved=False)
        lines.append(f"| {seed} | {run.history['average'][-1]:.1f} | {run.seconds:.1f} |")
    return "\n".join(lines + [""])


def meta_report(quick: bool = False) -> str:
    import nbdl

    iterations = 50 if quick else 2000
    lines = [f"### Sinusoids (Finn et al. 2017), 1-40-40-1 ReLU, {iterations:,} iterations of 25 tasks, seed 0: "
             "mean MSE on 100 new 10-shot tasks after SGD steps of 0.01", "",
             "| method | seconds | 0 steps | 1 step | 10 steps |", "|---|---:|---:|---:|---:|"]
    for method in ("maml", "reptile", "pretrain"):
        run = nbdl.meta(SINE, tasks="sinusoid", method=method, iterations=iterations)
        mse = run.evaluate_tasks(n=100, shots=10, steps=(0, 1, 10))
        lines.append(f"| {method} | {run.seconds:.1f} | {mse[0]:.2f} | {mse[1]:.2f} | {mse[10]:.2f} |")
    iterations = 20 if quick else 1000
    lines += ["", f"### Digits, 5-way 5-shot on held-out classes, 64-64-5, {iterations:,} iterations, seed 0: "
              "query accuracy over 200 new episodes", "",
              "| network | seconds | 0 steps | 1 step | 10 steps | 100 steps |", "|---|---:|---:|---:|---:|---:|"]
    scratch = None
    for method in ("maml", "reptile"):
        run = nbdl.meta(DIGITS, tasks="digits", method=method, shots=5, iterations=iterations)
        acc = run.evaluate_tasks(n=200, shots=5, steps=(0, 1, 10, 100))
        scratch = acc["scratch"]
        lines.append(f"| {method} | {run.seconds:.1f} | " + " | ".join(f"{acc[k]:.1%}" for k in (0, 1, 10, 100))
                     + " |")
    lines.append("| from scratch (same shots) | | " + " | ".join(f"{scratch[k]:.1%}" for k in (0, 1, 10, 100)) + " |")
    return "\n".join(lines + [""])


def report(quick: bool = False) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pygame's and Gymnasium's notices are not figures
        return rl_report(quick) + "\n" + meta_report(quick)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m nbdl.bench_learning", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few episodes and iterations only (a smoke test)")
    print(report(parser.parse_args(argv).quick))


if __name__ == "__main__":
    main()
