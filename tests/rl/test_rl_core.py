"""The RL core: environments, settings and size checks, the DQN and REINFORCE agents' parts against
their formulas, the history, stop / pause / Ctrl-C, checkpoints that resume bit for bit, and play."""
import copy
import math
import signal
import sys
import threading
import time

import numpy as np
import pytest
import torch

from nbdl.core import checkpoint, resume
from nbdl.core.errors import NbdlError
from nbdl.core.rl import RlRun, load, rl
from nbdl.core import rl_agents
from nbdl.core.rl_agents import DQN, Reinforce, discounted, epsilon_at, value_spec
from nbdl.core.rl_replay import ReplayBuffer
from nbdl.core.rl_env import Environment, environments, make_env

NET = "input 4\ndense 32 relu\ndense 2"
QUICK = dict(learn_start=50, batch_size=16, target_every=50, epsilon_steps=500, eval_every=5, eval_episodes=2,
             stop_when_solved=False)


class Corridor(Environment):
    """A stand-in: walk right along 4 cells to the end (+1); each step costs 0.1; float64 observations."""

    name, observation_size, n_actions = "corridor", 4, 2

    def reset(self, seed=None):
        self.position = 0
        return np.eye(4)[self.position]

    def step(self, action):
        self.position = max(0, min(3, self.position + (1 if action == 1 else -1)))
        done = self.position == 3
        return np.eye(4)[self.position], 1.0 if done else -0.1, done, False


# -- environments ------------------------------------------------------------------------------
def test_named_environments_have_the_declared_sizes_and_solved_returns():
    assert {"CartPole-v1", "Acrobot-v1", "gridworld"} <= {r.name for r in environments.records()}
    cart = make_env("CartPole-v1")
    first = cart.reset(seed=0)
    assert (cart.observation_size, cart.n_actions, first.dtype, first.shape) == (4, 2, np.float32, (4,))
    observation, reward, terminated, truncated = cart.step(1)
    assert observation.shape == (4,) and reward == 1.0 and (terminated, truncated) == (False, False)
    assert environments.get("CartPole-v1").solved == 195
    acrobot = make_env("Acrobot-v1")
    assert (acrobot.observation_size, acrobot.n_actions) == (6, 3)
    assert make_env(cart) is cart
    other = make_env("MountainCar-v0")  # any Gymnasium id with a Box observation and Discrete actions
    assert (other.observation_size, other.n_actions) == (2, 3)


def test_an_unknown_environment_lists_the_known_ones_and_continuous_actions_are_refused():
    with pytest.raises(NbdlError, match="unknown environment 'NoSuchEnv-v0'.*CartPole-v1, Acrobot-v1, gridworld"):
        make_env("NoSuchEnv-v0")
    with pytest.raises(NbdlError, match="Pendulum-v1 has Box actions.*only discrete"):
        make_env("Pendulum-v1")


def test_missing_gymnasium_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "gymnasium", None)  # import gymnasium now raises ImportError
    with pytest.raises(NbdlError, match=r"pip install 'nbdl\[rl\]'"):
        make_env("CartPole-v1")
    with pytest.raises(NbdlError, match=r"unknown environment 'Foo-v0'.*pip install 'nbdl\[rl\]'"):
        make_env("Foo-v0")


# -- settings and sizes ------------------------------------------------------------------------
def test_a_network_that_does_not_fit_the_environment_names_both_sizes_and_the_fix():
    with pytest.raises(NbdlError) as error:
        rl("input 3\ndense 8 relu\ndense 5", fit=False)
    text = str(error.value)
    assert "takes 3 inputs" in text and "CartPole-v1 observes 4 numbers and has 2 actions" in text
    assert "'input 4'" in text and "'dense 2'" in text
    with pytest.raises(NbdlError, match="gives 5 outputs.*has 2 actions"):
        rl("input 4\ndense 5", fit=False)
    assert rl("dense 8 relu\ndense 2", fit=False).model.input_shape == (4,)  # no input line: the env's size


def test_bad_settings_are_all_named_in_one_error():
    with pytest.raises(NbdlError) as error:
        rl(NET, fit=False, gamma=2, batch_size=0, epsilon_end=-1, algo="ppo")
    text = str(error.value)
    assert "4 problems" in text
    for name in ("gamma", "batch_size", "epsilon_end", "'ppo'", "dqn", "reinforce"):
        assert name in text
    with pytest.raises(NbdlError, match="takes no epsilon;.*epsilon_start"):
        rl(NET, fit=False, epsilon=0.1)


def test_each_algorithm_fills_its_own_defaults():
    assert rl(NET, fit=False).settings["lr"] == 5e-4
    assert rl(NET, algo="reinforce", fit=False).settings["lr"] == 3e-3
    assert rl(NET, fit=False, lr=0.01).settings["lr"] == 0.01


# -- the parts of the algorithms ---------------------------------------------------------------
def test_epsilon_falls_linearly_over_the_steps_then_stays():
    assert epsilon_at(0, 1.0, 0.05, 1000) == 1.0
    assert epsilon_at(500, 1.0, 0.05, 1000) == pytest.approx(0.525)
    assert epsilon_at(1000, 1.0, 0.05, 1000) == pytest.approx(0.05)
    assert epsilon_at(5000, 1.0, 0.05, 1000) == pytest.approx(0.05)
    run = rl(NET, episodes=6, seed=1, **QUICK)
    h = run.history
    expected = [max(0.05, 1 - 0.95 * s / 500) for s in h["steps"]]
    np.testing.assert_allclose(h["epsilon"], expected)


def test_the_replay_buffer_wraps_around_keeping_the_newest():
    buffer = ReplayBuffer(3, 2, batch_size=4)
    for i in range(5):
        buffer.add(np.full(2, i, np.float32), i % 2, float(i), np.full(2, i + 1, np.float32), i == 4)
    assert (buffer.size, buffer.position) == (3, 2)
    np.testing.assert_array_equal(buffer.rewards, [3, 4, 2])  # 3 and 4 overwrote 0 and 1
    np.testing.assert_array_equal(buffer.observations[:, 0], [3, 4, 2])
    np.testing.assert_array_equal(buffer.ends, [0, 1, 0])
    observations, actions, rewards, after, ends = buffer.sample(np.random.default_rng(0))
    assert observations.shape == (4, 2) and set(rewards.tolist()) <= {2.0, 3.0, 4.0}
    np.testing.assert_array_equal(after[:, 0].numpy(), observations[:, 0].numpy() + 1)


def test_the_target_network_is_copied_every_target_every_steps():
    model = rl(NET, fit=False).model
    settings = dict(rl(NET, fit=False).settings, learn_start=1, batch_size=2, target_every=3, lr=0.05)
    agent = DQN(model, settings, np.random.default_rng(0))
    same = lambda: all(torch.equal(p, q) for p, q in zip(model.parameters(), agent.target.parameters()))  # noqa: E731
    state = np.ones(4, np.float32)
    seen = []
    for step in range(1, 8):
        agent.observe(state * step, step % 2, 1.0, state, False)  # learns each step: the model moves
        seen.append(same())
    assert seen == [False, False, True, False, False, True, False]
    assert agent.target_copies == 2


def test_the_value_baseline_has_the_policy_hidden_layers_and_one_output():
    spec = value_spec(rl(NET, algo="reinforce", fit=False).model.spec)
    assert spec.to_text().splitlines() == ["input 4", "dense 32 relu", "dense 1"]


# -- the run -----------------------------------------------------------------------------------
def test_the_history_has_a_row_per_episode_with_consistent_figures():
    run = rl(NET, episodes=7, seed=0, **QUICK)
    h = run.history
    assert set(h) == {"episode", "return", "average", "epsilon", "loss", "steps", "seconds", "greedy"}
    assert all(len(v) == 7 for v in h.values()) and run.episode == 7 and run.status == "finished"
    assert h["episode"] == list(map(float, range(1, 8)))
    np.testing.assert_allclose(h["steps"], np.cumsum(h["return"]))  # CartPole: +1 a step
    np.testing.assert_allclose(h["average"], [np.mean(h["return"][max(0, i - 19):i + 1]) for i in range(7)])
    evaluated = [i for i, g in enumerate(h["greedy"]) if not math.isnan(g)]
    assert evaluated == [4] and run.best_greedy == h["greedy"][4]
    assert math.isnan(h["loss"][0]) and not math.isnan(h["loss"][-1])  # no update before learn_start
    assert h["seconds"] == sorted(h["seconds"])
    policy = rl(NET, algo="reinforce", episodes=3, **QUICK).history
    assert all(math.isnan(e) for e in policy["epsilon"]) and not any(math.isnan(v) for v in policy["loss"])


def test_play_returns_the_greedy_policy_returns():
    run = rl(NET, episodes=5, seed=0, **QUICK)
    returns = run.play(3, seed=7)
    assert returns == run.play(3, seed=7) and len(returns) == 3
    env = make_env("CartPole-v1")  # the same greedy rollout by hand, with the same seeds
    from nbdl.core.rl import PLAY, environment_seed
    for i, expected in enumerate(returns):
        observation, total, done = env.reset(seed=environment_seed(7, PLAY, i)), 0.0, False
        while not done:
            observation, reward, terminated, truncated = env.step(int(run.q_values(observation[None])[0].argmax()))
            total, done = total + reward, terminated or truncated
        assert total == expected
    states = np.stack([env.reset(seed=s) for s in range(5)])
    np.testing.assert_allclose(run.state_values(states), run.q_values(states).max(1))
    policy = rl(NET, algo="reinforce", episodes=2, **QUICK)
    np.testing.assert_allclose(policy.q_values(states).sum(1), 1, rtol=1e-6)
    assert policy.state_values(states).shape == (5,)


def test_frames_are_pictures_of_the_environment():
    run = rl(NET, episodes=1, **QUICK)
    picture = run.frame()
    assert picture.dtype == np.uint8 and picture.ndim == 3 and picture.shape[2] == 3
    frames = run.frames(limit=4)
    assert len(frames) == 4 and all(f.shape == picture.shape for f in frames)


def test_an_environment_of_your_own_and_float64_observations_work():
    run = rl("input 4\ndense 16 relu\ndense 2", env=Corridor(), episodes=30, seed=0, **QUICK)
    assert run.episode == 30 and run.play(1) == [pytest.approx(0.8)]  # right, right, right


def test_stop_from_another_thread_and_pause_and_resume():
    run = rl(NET, fit=False, episodes=100000, **QUICK)
    worker = threading.Thread(target=run.fit)

    def wait_for(episodes):
        deadline = time.time() + 10
        while run.episode < episodes and time.time() < deadline:
            time.sleep(0.01)

    try:
        worker.start()
        wait_for(2)
        run.pause()
        time.sleep(0.05)  # the current step ends
        paused_at = (run.episode, run.agent.steps)
        time.sleep(0.3)
        assert (run.episode, run.agent.steps) == paused_at and run.status == "training"
        run.resume()
        wait_for(paused_at[0] + 2)
        assert run.episode >= paused_at[0] + 2
    finally:
        run.stop()
        worker.join(10)
    assert not worker.is_alive() and run.status == "stopped" and run.episode < 100000
    assert all(len(v) == run.episode for v in run.history.values())


def test_ctrl_c_during_fit_ends_interrupted_with_consistent_weights():
    def interrupt(run, row):
        if row["episode"] == 3:
            signal.raise_signal(signal.SIGINT)

    run = rl(NET, episodes=50, callbacks=[interrupt], **QUICK)
    assert run.status == "interrupted" and run.episode == 3 and len(run.history["return"]) == 3
    assert all(torch.isfinite(p).all() for p in run.model.parameters())
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    run.fit(2)
    assert run.status == "finished" and run.episode == 5


def test_save_load_and_fit_again_gives_the_uninterrupted_run(tmp_path):
    for algo in ("dqn", "reinforce"):
        whole = rl(NET, algo=algo, episodes=24, seed=3, **QUICK)
        half = rl(NET, algo=algo, episodes=12, seed=3, **QUICK)
        half.save(tmp_path / f"{algo}.safetensors")
        back = resume.load(tmp_path / f"{algo}.safetensors")  # nbdl.load
        assert isinstance(back, RlRun) and back.episode == 12
        np.testing.assert_equal(back.history, half.history)  # NaN where NaN
        assert back.best_greedy == half.best_greedy
        back.fit(12)
        assert back.episode == 24
        for key in ("return", "loss", "greedy", "epsilon", "steps"):  # bit for bit
            np.testing.assert_array_equal(back.history[key], whole.history[key])
        assert all(torch.equal(p, q) for p, q in zip(back.model.parameters(), whole.model.parameters()))


def test_the_checkpoint_setting_saves_into_a_folder(tmp_path):
    run = rl(NET, episodes=4, checkpoint=str(tmp_path), checkpoint_every=2, **QUICK)
    back = load(tmp_path / checkpoint.FILENAME)
    assert back.episode == 4 and back.status == "finished"
    np.testing.assert_equal(back.history, run.history)


def test_a_damaged_checkpoint_gives_a_clear_error(tmp_path):
    path = tmp_path / "run.safetensors"
    rl(NET, episodes=2, **QUICK).save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(NbdlError, match="damaged, truncated"):
        load(path)
    good = tmp_path / "good.safetensors"
    rl(NET, episodes=2, **QUICK).save(good)
    config, state = checkpoint.read(good)
    state["history"]["return"] = [1.0]  # one row for two episodes
    checkpoint.write(good, config, state)
    with pytest.raises(NbdlError, match="history .*2 episodes"):
        load(good)
    rl("input 4\ndense 8 relu\ndense 2", env=Corridor(), episodes=1, **QUICK).save(good)
    with pytest.raises(NbdlError, match="your own environment"):
        load(good)
    assert load(good, env=Corridor()).episode == 1


def test_dqn_learns_the_grid_world():
    gridworld = pytest.importorskip("nbdl.core.gridworld")
    env = gridworld.GridWorld()
    values = env.true_values(0.99)
    best, observation, done = 0.0, env.reset(), False  # the optimal return: follow value iteration's policy
    position = env.start
    while not done:
        observation, reward, terminated, truncated = env.step(env.best_action(*position, values))
        position = divmod(int(observation.argmax()), env.cols)
        best, done = best + reward, terminated or truncated
    run = rl(f"input {env.observation_size}\ndense 64 relu\ndense 4", env="gridworld", episodes=60, seed=0,
             epsilon_steps=2000, learn_start=200, target_every=100, eval_every=10, eval_episodes=1)
    assert run.play(3) == [pytest.approx(best)] * 3
    frames = run.frames()  # the animation ends where the episode did: the agent on the goal
    goal = next((r, c) for r in range(env.rows) for c in range(env.cols) if env.kind(r, c) == "goal")
    env.position = goal
    assert np.array_equal(frames[-1], env.render()) and not np.array_equal(frames[-2], frames[-1])


def test_the_greedy_policy_plays_without_dropout_and_leaves_the_training_mode_as_it_was():
    run = rl("input 4\ndense 64 relu\ndropout 0.5\ndense 2", episodes=3, learn_start=32, seed=0)
    run.model.train()
    observations = np.random.default_rng(0).normal(size=(1, 4)).astype(np.float32)
    with torch.no_grad():
        noisy = {int(run.model.logits(torch.from_numpy(observations)).argmax()) for _ in range(50)}
    assert len(noisy) == 2  # in training mode dropout changes the chosen action from call to call
    assert run.play(3) == run.play(3)  # greedy play is the same policy each time: no dropout draws
    assert run.model.training
    run.model.eval()
    run.play(1)
    assert not run.model.training


def test_a_diverging_loss_stops_the_fit_and_says_so():
    run = rl(NET, episodes=40, learn_start=32, fit=False)
    run.agent.observe = lambda *args: float("nan")  # a loss that has become NaN
    run.fit()
    assert run.status == "stopped" and run.episode == 1
    assert run.stop_reason.startswith("diverged: the loss became nan") and "lower lr" in run.stop_reason


def test_dropout_draws_from_the_run_generator_so_runs_reproduce_and_resume_bit_for_bit(tmp_path):
    net = "input 4\ndense 32 relu\ndropout 0.3\ndense 2"
    for algo in ("dqn", "reinforce"):
        whole = rl(net, algo=algo, episodes=10, seed=3, **QUICK)
        torch.rand(7)  # the global generator moves on between the runs
        half = rl(net, algo=algo, episodes=5, seed=3, **QUICK)
        half.save(tmp_path / f"{algo}.safetensors")
        torch.rand(7)
        back = load(tmp_path / f"{algo}.safetensors")
        back.fit(5)
        for key in ("return", "loss", "greedy"):
            np.testing.assert_array_equal(back.history[key], whole.history[key])
        assert all(torch.equal(p, q) for p, q in zip(back.model.parameters(), whole.model.parameters()))


class Cliff(Environment):
    """A stand-in whose episodes alternate: terminated after 2 steps, then cut off (truncated) after 2."""

    name, observation_size, n_actions = "cliff", 4, 2

    def reset(self, seed=None):
        self.t, self.episodes = 0, getattr(self, "episodes", -1) + 1
        return np.eye(4, dtype=np.float32)[0]

    def step(self, action):
        self.t += 1
        end = self.t == 2
        return np.eye(4, dtype=np.float32)[self.t], 1.0, end and self.episodes % 2 == 0, end and self.episodes % 2 == 1


def test_dqn_targets_are_double_dqn_and_stop_only_at_termination():
    run = rl(NET, env=Cliff(), episodes=6, learn_start=100, batch_size=8, eval_every=100, fit=False)
    run.fit()
    agent = run.agent
    np.testing.assert_array_equal(agent.buffer.ends[:12], [0, 1, 0, 0] * 3)  # truncated rows bootstrap
    with torch.no_grad():
        for p in agent.target.parameters():
            p.add_(torch.randn_like(p))  # a target network unlike the online one
    for double in (True, False):
        agent.settings = dict(agent.settings, double=double)
        rows = copy.deepcopy(agent.rng).integers(0, agent.buffer.size, 8)  # the rows learn() will draw
        b = agent.buffer
        x, a, r, after, end = (torch.from_numpy(v[rows]) for v in (b.observations, b.actions, b.rewards,
                                                                   b.next_observations, b.ends))
        with torch.no_grad():
            pick = (run.model if double else agent.target).logits(after).argmax(1)
            later = agent.target.logits(after)[torch.arange(8), pick]
            target = r + 0.99 * (1 - end) * later
            q = run.model.logits(x)[torch.arange(8), a]
            expected = torch.nn.functional.smooth_l1_loss(q, target)
        assert agent.learn() == pytest.approx(float(expected), rel=1e-5)


def test_discounted_returns_follow_the_recursion_and_take_a_tail():
    np.testing.assert_allclose(discounted(np.array([1.0, 2.0, 3.0]), 0.5), [1 + 0.5 * 2 + 0.25 * 3, 2 + 0.5 * 3, 3])
    np.testing.assert_allclose(discounted(np.array([1.0, 1.0]), 0.9, after=10.0), [1 + 0.9 + 0.81 * 10, 1 + 9])


def test_reinforce_bootstraps_a_truncated_episode_from_the_baseline_not_a_terminated_one(monkeypatch):
    run = rl(NET, env=Cliff(), algo="reinforce", fit=False)
    tails = []
    monkeypatch.setattr(rl_agents, "discounted", lambda rewards, gamma, after=0.0: tails.append(after) or
                        discounted(rewards, gamma, after))
    run.fit(2)  # the first episode terminates, the second is cut off after reaching state 2
    assert tails[0] == 0.0
    once = rl(NET, env=Cliff(), algo="reinforce", fit=False).fit(1)  # the baseline as the second episode saw it
    assert isinstance(once.agent, Reinforce)
    with torch.no_grad():
        assert tails[1] == pytest.approx(float(once.agent.value.logits(torch.eye(4)[2:3])[0, 0]), rel=1e-6) != 0


class NanReward(Environment):
    """A stand-in whose fifth episode gives a NaN reward (the run raises an error): with a greedy
    evaluation after the second training episode, that is the fourth training episode."""

    name, observation_size, n_actions = "nan reward", 4, 2

    def reset(self, seed=None):
        self.episodes, self.t = getattr(self, "episodes", 0) + 1, 0
        return np.zeros(4, np.float32)

    def step(self, action):
        self.t += 1
        return np.zeros(4, np.float32), float("nan") if self.episodes == 5 else 1.0, self.t == 5, False


def test_an_error_during_a_fit_leaves_the_run_failed_and_saves_the_last_weights(tmp_path):
    run = rl(NET, env=NanReward(), algo="reinforce", episodes=10, eval_every=2, eval_episodes=1, fit=False)
    with pytest.raises(NbdlError, match="reward of nan"):
        run.fit()
    assert run.status == "failed" and "reward of nan" in run.stop_reason
    run.save(tmp_path / "run.safetensors")
    back = load(tmp_path / "run.safetensors", env=NanReward())
    assert all(torch.equal(back.last_weights[k], v) for k, v in run.last_weights.items())
    assert not all(torch.equal(run.last_weights[k], v) for k, v in run.model.state_dict().items())  # model: best
