"""Notebook 11: reinforcement learning."""
from nbformat.v4 import new_code_cell, new_markdown_cell

NAME = "11_reinforcement.ipynb"

CELLS = [
    new_markdown_cell("""# Reinforcement learning

In reinforcement learning nobody gives the right answers. An **agent** acts in an
**environment**, gets a **reward** now and then, and learns which actions lead to more reward over
time (the **return**). Deep reinforcement learning puts a neural network where a table of values
would not fit: one that scores each action in a state (**DQN**, a deep Q-network) or one that gives
the probability of each action (a **policy gradient** such as **REINFORCE**).

The networks are written in the same text form as everywhere in nbdl: the input is what the agent
observes, the output one number per action. Everything here runs on a CPU in seconds, with
fixed seeds."""),
    new_code_cell("""%load_ext nbdl
import numpy as np
import nbdl"""),
    new_markdown_cell("""## A grid world whose true values we know

The built-in grid world is a 5x5 maze: the start top left, the goal (+1) bottom right, two pits
(-1), walls, and a cost of 0.04 for every move. The agent sees which cell it is in (a one-hot of
25 numbers) and has 4 actions (up, right, down, left). Because the maze is small, **value
iteration** gives the true value of every cell exactly, so what the network learned can be drawn
beside the truth: the picture shows both heat maps, with the learned greedy action's arrow in
every cell.

A run keeps the weights of its best greedy evaluation. Evaluated every 10 episodes (the default),
it would keep the first weights whose path is already the shortest, long before the values have
settled; `--eval-every 200` evaluates once, at the end, so the picture shows the values after all
200 episodes."""),
    new_code_cell("""%%nbdl net grid_net
input 25
dense 64 relu
dense 4"""),
    new_code_cell("%nbdl rl grid_net --env gridworld --episodes 200 --eval-every 200 --gamma 0.9 --epsilon-steps 1500 --learn-start 200 --target-every 200 --seed 0 --as grid_run"),
    new_markdown_cell("""Along the path the greedy agent takes from the start to the goal, the learned values match the
true ones; cells the agent rarely visits (behind the walls, next to the pits) are learned less
well, since nothing teaches them."""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
maze = grid_run.env
true = maze.true_values(0.9)
position, path = maze.start, [maze.start]
while maze.kind(*position) not in ("goal", "pit") and len(path) < 30:
    action = int(grid_run.q_values(maze.observation(*position)).argmax())
    position = maze.moved(*position, action)
    path.append(position)
on_path = path[:-1]                     # the end cell has no value of its own to learn
learned = grid_run.state_values(np.stack([maze.observation(*cell) for cell in on_path]))
truth = np.array([true[cell] for cell in on_path])
others = [cell for cell in maze.cells() if cell not in path and maze.kind(*cell) in ("free", "start")]
off = grid_run.state_values(np.stack([maze.observation(*cell) for cell in others]))
print("greedy path ends in the", maze.kind(*path[-1]), "after", len(path) - 1, "moves")
print("on the path:  learned", np.round(learned, 2))
print("              true   ", np.round(truth, 2))
on_error = float(np.abs(learned - truth).max())
off_error = float(np.abs(off - np.array([true[c] for c in others])).mean())
print(f"largest error on the path {on_error:.2f}; mean error off the path {off_error:.2f}")
assert maze.kind(*path[-1]) == "goal" and on_error < 0.05"""),
    new_markdown_cell("""## DQN on CartPole

Gymnasium's `CartPole-v1`: push a cart left or right to keep a pole upright; +1 for every step it
stays up, at most 500. The network scores the 2 actions from the 4 numbers observed (position,
velocity, angle, angular velocity). DQN learns from a **replay buffer** of past moves, against a
slowly updated **target network**, exploring with random moves (epsilon) less and less. Every 10
episodes the greedy policy plays 10 new episodes; the run keeps the best greedy weights and stops
once their mean return reaches 195, the classic bar for "solved". The picture shows every
episode's return, the greedy evaluations, epsilon, the loss and a frame of the cart."""),
    new_code_cell("""%%nbdl net cart
input 4
dense 64 relu
dense 64 relu
dense 2"""),
    new_code_cell("%nbdl rl cart --env CartPole-v1 --algo dqn --episodes 300 --seed 0 --as agent"),
    new_markdown_cell("""The episodes it trained on still look poor (their average stays near 25): epsilon is still
about 0.75, so three moves in four are random. The greedy policy, the network's best action every
time, is what solves the task.

Watch it: `%nbdl play` animates one greedy episode (a GIF, which shows on GitHub too) and prints
the greedy returns of new episodes it never trained on."""),
    new_code_cell("%nbdl play agent --episodes 5 --frames 200"),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
greedy = agent.play(episodes=20)
print(f"DQN greedy policy, 20 new episodes: mean return {np.mean(greedy):.1f} (solved at 195, at most 500)")
assert np.mean(greedy) >= 195"""),
    new_markdown_cell("""## REINFORCE: the policy gradient

REINFORCE makes the actions of episodes that went well more likely, in proportion to how much
better than expected their return was (a learned value is the baseline that says what was
expected). Its network outputs the 2 actions' scores and samples from their softmax. A policy
that pushes left or right at random is the bar to beat."""),
    new_code_cell("""%%nbdl net policy
input 4
dense 64 relu
dense 2"""),
    new_code_cell("%nbdl rl policy --env CartPole-v1 --algo reinforce --episodes 300 --seed 0 --as pg"),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
import gymnasium as gym

env, rng, random_returns = gym.make("CartPole-v1"), np.random.default_rng(0), []
for episode in range(50):
    env.reset(seed=episode)
    total, done = 0.0, False
    while not done:
        _, reward, terminated, truncated, _ = env.step(int(rng.integers(2)))
        total, done = total + reward, terminated or truncated
    random_returns.append(total)
returns = pg.history["return"]
pg_greedy = pg.play(episodes=20)
print(f"random policy, 50 episodes:       mean return {np.mean(random_returns):.1f}")
print(f"REINFORCE, its first 20 episodes: mean return {np.mean(returns[:20]):.1f}")
print(f"REINFORCE, its last 20 episodes:  mean return {np.mean(returns[-20:]):.1f} (after {len(returns)} episodes)")
print(f"REINFORCE greedy, 20 new ones:    mean return {np.mean(pg_greedy):.1f}")
assert np.mean(returns[-20:]) > 2 * np.mean(random_returns)
assert np.mean(pg_greedy) > 5 * np.mean(random_returns)"""),
    new_markdown_cell("""Things to try: `--env Acrobot-v1` (a 6-number observation, 3 actions), a maze of your own with
`nbdl.GridWorld("S..#\\n.#.G\\n...P")`, `--slip 0.2` style randomness through `nbdl.GridWorld(...,
slip=0.2)`, or a smaller `--gamma` in the grid world to see the values fade faster with distance
from the goal."""),
]
