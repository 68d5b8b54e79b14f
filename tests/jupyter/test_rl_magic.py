"""%nbdl rl and %nbdl play in a real kernel: a short grid-world run with its picture, the run
stored, flags reaching the settings, one-line errors, and --checkpoint / --resume going on."""
import base64
import re

import pytest

pytestmark = pytest.mark.slow

GRID_NET = "%%nbdl net gnet\ninput 25\ndense 32 relu\ndense 4"
SHORT = "--env gridworld --learn-start 50 --batch-size 16 --eval-every 5 --eval-episodes 1"


def _said(result):
    """An error's message: UsageError shows it as text, other errors in the error reply."""
    return result.error["evalue"] if result.error else result.text


def _pngs(result):
    return [base64.b64decode(p) for p in result.mimes("image/png")]


def test_rl_trains_shows_a_picture_and_stores_the_run(kernel):
    assert kernel.run(GRID_NET).status == "ok"
    result = kernel.run(f"%nbdl rl gnet {SHORT} --episodes 12 --lr 2e-3 --gamma 0.9 --no-double")
    assert result.status == "ok", result.text
    assert any(p.startswith(b"\x89PNG") for p in _pngs(result))
    assert "dqn on gridworld: 12 episodes" in result.text
    assert "watch it: %nbdl play agent" in result.text.splitlines()  # not at the end of the long summary
    assert kernel.value("type(agent).__name__") == "RlRun"
    assert kernel.value("agent.history['episode']") == [float(i) for i in range(1, 13)]
    given = kernel.value("(agent.settings['lr'], agent.settings['gamma'], agent.settings['double'])")
    assert given == (2e-3, 0.9, False)
    # the same run again trains on: 5 more episodes
    result = kernel.run("%nbdl rl agent --episodes 5 --no-plot")
    assert result.status == "ok", result.text
    assert kernel.value("agent.episode") == 17 and not result.mimes("image/png")


def test_play_shows_an_animation_and_prints_the_greedy_returns(kernel):
    kernel.run(GRID_NET)
    assert kernel.run(f"%nbdl rl gnet {SHORT} --episodes 5 --no-plot --as watched").status == "ok"
    result = kernel.run("%nbdl play watched --episodes 3")
    assert result.status == "ok", result.text
    html = " ".join(result.mimes("text/html"))
    assert "data:image/gif;base64," in html
    gif = base64.b64decode(re.search(r"base64,([A-Za-z0-9+/=]+)", html).group(1))
    assert gif.startswith(b"GIF89a")
    returns = kernel.value("watched.play(3)")
    assert f"greedy returns over 3 episodes: {', '.join(f'{r:g}' for r in returns)}" in result.text
    assert ", its first" not in html
    cut = " ".join(kernel.run("%nbdl play watched --episodes 1 --frames 2").mimes("text/html"))
    assert "one greedy episode, its first 2 frames (--frames N for more)" in cut  # not the whole episode


def test_a_few_cartpole_episodes_show_the_cart(kernel):
    assert kernel.run("%%nbdl net cnet\ninput 4\ndense 32 relu\ndense 2").status == "ok"
    result = kernel.run("%nbdl rl cnet --env CartPole-v1 --episodes 3 --as cart")
    assert result.status == "ok", result.text
    assert "dqn on CartPole-v1: 3 episodes" in result.text
    assert any(p.startswith(b"\x89PNG") for p in _pngs(result))
    assert kernel.value("cart.frame().shape") == (400, 600, 3)


def test_reinforce_on_the_grid_world(kernel):
    kernel.run(GRID_NET)
    result = kernel.run("%nbdl rl gnet --env gridworld --algo reinforce --episodes 6 --eval-every 3 --as pg")
    assert result.status == "ok", result.text
    assert "reinforce on gridworld: 6 episodes" in result.text
    assert any(p.startswith(b"\x89PNG") for p in _pngs(result))


@pytest.mark.parametrize("line, message", [
    ("%nbdl rl gnet --env gridworld --algo ppo", "unknown algorithm 'ppo'; choose one of: dqn, reinforce"),
    ("%nbdl rl gnet --env gridworld --gamma 2", "--gamma must be a number in [0, 1], got 2"),
    ("%nbdl rl gnet --env gridworld --episodes 0", "--episodes must be a whole number >= 1, got 0"),
    ("%nbdl rl gnet --env Nowhere-v0", "unknown environment 'Nowhere-v0'; choose one of: CartPole-v1, Acrobot-v1, "
                                       "gridworld"),
    ("%nbdl rl gnet --env CartPole-v1", "the network takes 25 inputs and gives"),
    ("%nbdl rl gnet --env CartPole-v1 --no-plot", "CartPole-v1 observes 4 numbers and has 2 actions; make the first "
                                                  "line 'input 4' and the last 'dense 2'"),
    ("%nbdl rl gnet --env gridworld --resume", "--resume needs --checkpoint DIR"),
    ("%nbdl rl nowhere --env gridworld", "no variable 'nowhere' in the notebook"),
    ("%nbdl rl gnet --bogus 1", "unrecognized arguments: --bogus 1"),
    ("%nbdl play gnet", "'gnet' is a Network; %nbdl play takes a run from %nbdl rl"),
    ("%nbdl play agent --episodes 0", "--episodes must be a whole number in [1, 1000], got 0"),
])
def test_bad_flags_give_one_line_errors(kernel, line, message):
    kernel.run(GRID_NET)
    kernel.run(f"%nbdl rl gnet {SHORT} --episodes 2 --no-plot")
    result = kernel.run(line)
    assert result.status == "error"
    shown = _said(result)
    assert message in shown, shown
    assert "Traceback" not in result.text and "\n" not in shown.strip()


def test_checkpoint_and_resume_go_on_where_the_run_stopped(kernel, tmp_path):
    kernel.run(GRID_NET)
    folder = tmp_path / "rl-run"
    line = f"%nbdl rl gnet {SHORT} --no-plot --checkpoint {folder} --checkpoint-every 2"
    result = kernel.run(f"{line} --episodes 6 --as first")
    assert result.status == "ok", result.text
    assert (folder / "checkpoint.safetensors").exists()
    result = kernel.run(f"{line} --episodes 10 --as second")  # the folder is taken: no silent overwrite
    assert result.status == "error" and "add --resume to go on from it" in _said(result)
    result = kernel.run(f"{line} --episodes 10 --resume --as second")
    assert result.status == "ok", result.text
    assert "resuming from" in result.text and "episode 6, 4 to go" in result.text
    assert kernel.value("second.history['episode']") == [float(i) for i in range(1, 11)]
    assert kernel.value("second.history['return'][:6] == first.history['return']") is True
    whole = kernel.run(f"%nbdl rl gnet {SHORT} --no-plot --episodes 10 --as whole")  # never stopped
    assert whole.status == "ok", whole.text
    assert kernel.value("second.history['return'] == whole.history['return']") is True
    result = kernel.run(f"{line} --episodes 10 --resume --gamma 0.5 --as third")
    assert result.status == "error" and "was trained with --gamma 0.99" in _said(result)


def test_a_run_given_again_stays_under_its_name_and_a_maze_of_your_own_comes_from_a_variable(kernel):
    kernel.run(GRID_NET)
    assert kernel.run(f"%nbdl rl gnet {SHORT} --episodes 4 --no-plot --as walker").status == "ok"
    kernel.run("agent = 'untouched'")
    result = kernel.run("%nbdl rl walker --episodes 2 --no-plot")
    assert result.status == "ok", result.text
    assert kernel.value("walker.episode") == 6 and kernel.value("agent") == "untouched"
    assert "%nbdl play walker" in result.text
    kernel.run("import nbdl\nmaze = nbdl.GridWorld('S.G\\n.#P')")
    kernel.run("%%nbdl net small\ninput 6\ndense 16 relu\ndense 4")
    result = kernel.run("%nbdl rl small --env maze --episodes 3 --learn-start 20 --no-plot --as mazer")
    assert result.status == "ok", result.text
    assert kernel.value("mazer.env is maze") is True and "dqn on gridworld: 3 episodes" in result.text
    result = kernel.run("%nbdl rl small --env nothing_here --episodes 3 --no-plot")
    assert result.status == "error" and "nothing_here" in _said(result)
