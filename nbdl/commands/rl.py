"""``%nbdl rl NET --env CartPole-v1 --algo dqn --episodes N``: train an agent (``nbdl.rl``) with its
live picture (returns, epsilon, loss, a frame of the environment; the grid world's value heat map)
and store the run; ``--checkpoint DIR`` saves it as it trains and ``--resume`` goes on from there."""
from __future__ import annotations

from pathlib import Path

from .. import cli
from ..core.checkpoint import FILENAME, Checkpoint
from ..core.errors import NbdlError
from ..core.network import Network, as_spec
from ..core.rl import SETTINGS, RlConfig, RlRun
from ..core.rl import load as load_run
from ..core.rl_env import Environment, environments

DEFAULT_NAME = "agent"
PREFIX = "rl_"  # argparse destinations of the settings
AS_THEY_ARE = ("episodes", "checkpoint", "checkpoint_every")  # what a resumed or continued run may be given


def env_help() -> str:
    lines = ["environments (--env):"]
    for record in environments.in_order():
        solved = f" (solved at {record.solved:g})" if record.solved is not None else ""
        lines.append(f"  {record.name:13s} {record.description}{solved}")
    lines += ["  or any Gymnasium id with a Box observation and Discrete actions (such as MountainCar-v0);",
              "  Gymnasium comes with pip install 'nbdl[rl]'",
              "",
              "examples:",
              "  %nbdl rl net --env gridworld --episodes 200          (net: 'input 25' ... 'dense 4')",
              "  %nbdl rl net --env CartPole-v1 --algo reinforce      (net: 'input 4' ... 'dense 2')",
              "  %nbdl play agent --episodes 5                        (watch the greedy policy)"]
    return "\n".join(lines)


def arguments(parser) -> None:
    parser.add_argument("network", metavar="NET", help="a network from %%nbdl net (or its text form in a variable): "
                        "'input <observations>' ... 'dense <actions>'; or a run from %%nbdl rl to train on")
    parser.add_argument("--env", help="the environment (default: CartPole-v1; see the list below)")
    cli.add_options(parser, SETTINGS, PREFIX)
    parser.add_argument("--resume", action="store_true",
                        help="go on from the checkpoint in --checkpoint DIR (after a stop or a kernel restart)")
    parser.add_argument("--no-plot", action="store_true", help="no live picture, only the summary line")
    parser.add_argument("--as", dest="result_name", metavar="VARIABLE",
                        help=f"where to store the run (default: {DEFAULT_NAME})")


def settings(args) -> dict:
    """The RL settings the flags give, each read by its declaration; one error lists every bad one."""
    return cli.option_values(args, SETTINGS, PREFIX)


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def continued(run: RlRun, values: dict, env, where: str) -> int | None:
    """The episodes a run given again (or resumed) is to train: refuses settings it cannot change."""
    if run.status == "training":
        raise NbdlError("this run is already training (in another thread); stop it first")
    fixed = [f"{_flag(k)} {run.settings[k]}" for k, v in values.items()
             if k not in AS_THEY_ARE and run.settings.get(k) != v]
    if env is not None and env is not run.config.env and env != run.config.env:
        fixed.insert(0, f"--env {_env_name(run.config.env)}")
    if fixed:
        raise NbdlError(f"{where} was trained with {' '.join(fixed)}, which a run cannot change; give the same "
                        "flags, or make a new run (another --checkpoint folder, or a network instead of a run)")
    return values.get("episodes")


def _env_name(env) -> str:
    return env if isinstance(env, str) else getattr(env, "name", type(env).__name__)


def resumed(target, values: dict, env, folder: str) -> tuple[RlRun, int] | None:
    """With --resume: the run saved in ``folder`` and the episodes it still has to go (None: no file yet)."""
    path = Path(folder) / FILENAME
    if not path.exists():
        print(f"no checkpoint in {folder} yet: starting a new run")
        return None
    run = load_run(path)
    if as_spec(target.spec if isinstance(target, Network) else target).to_dict()["layers"] \
            != run.model.spec.to_dict()["layers"]:
        raise NbdlError(f"the checkpoint in {folder} is of another network; use another --checkpoint folder "
                        "or drop --resume")
    continued(run, values, env, f"the checkpoint in {folder}")
    goal = values.get("episodes", run.settings["episodes"])
    remaining = max(goal - run.episode, 0)
    run.settings["checkpoint"] = folder  # go on saving where it was found
    print(f"resuming from {path}: episode {run.episode}, {remaining} to go")
    return run, remaining


def prepared(magics, args, values: dict) -> tuple[RlRun, int | None]:
    """The run to train and its episodes: a stored run given again, one resumed, or a new one."""
    target = magics.variable(args.network, "a network from %%nbdl net, its text form, or a run from %%nbdl rl")
    env = getattr(args, "env", None)
    own = magics.shell.user_ns.get(env) if env is not None and env.isidentifier() else None
    if isinstance(own, Environment):  # a maze or an environment of your own, in a variable
        env = own
    folder, resume = values.get("checkpoint"), getattr(args, "resume", False)
    if resume and not folder:
        raise NbdlError("--resume needs --checkpoint DIR (the folder the run was saved in)")
    if folder:
        problem = Checkpoint(folder).writable()
        if problem:
            raise NbdlError(f"--checkpoint {folder}: {problem}")
    if isinstance(target, RlRun):
        if folder:
            target.settings["checkpoint"] = folder
        return target, continued(target, values, env, f"{args.network}")
    if not isinstance(target, (Network, str)):
        raise NbdlError(f"{args.network!r} is a {type(target).__name__}; give a network from %%nbdl net (such as "
                        "'input 4', 'dense 64 relu', 'dense 2'), its text form, or a run from %%nbdl rl")
    if folder and (Path(folder) / FILENAME).exists() and not resume:
        raise NbdlError(f"--checkpoint {folder} already holds a run's checkpoint; add --resume to go on from it, "
                        "or give another folder (a new run would overwrite it)")
    found = resumed(target, values, env, folder) if resume else None
    if found is not None:
        return found
    given = {"env": env} if env is not None else {}
    return RlRun(RlConfig(target, **given, **values)), None


def run(magics, args):
    from IPython.display import HTML, Image, display

    from ..plots.render import shown_width
    from ..plots.rl import RlView, rl_png

    values = settings(args)
    agent, episodes = prepared(magics, args, values)
    given_run = agent is magics.shell.user_ns.get(args.network)  # a run given again stays where it is
    name = getattr(args, "result_name", None) or (args.network if given_run else DEFAULT_NAME)
    magics.check_name(name)
    magics.shell.user_ns[name] = agent
    callbacks, handle = [], None
    if not getattr(args, "no_plot", False):
        handle = display(HTML(""), display_id=True)
        callbacks.append(RlView(lambda png: handle.update(Image(png, width=shown_width(png)))))
    if episodes != 0:
        agent.fit(episodes, callbacks=callbacks)  # a kernel interrupt stops it between two steps
    if handle is not None and callbacks[0].renders == 0:  # nothing drawn yet: still show where it stands
        png = rl_png(agent)
        handle.update(Image(png, width=shown_width(png)))
    if callbacks and callbacks[0].error is not None:
        print(f"the RL picture stopped ({type(callbacks[0].error).__name__}: {callbacks[0].error}); training went on")
    going_on = ""
    if agent.status in ("stopped", "interrupted"):
        going_on = f" (go on with {name}.fit() or %nbdl rl {name} --episodes N)"
    print(agent.summary() + going_on)
    print(f"watch it: %nbdl play {name}")  # a line of its own: the summary above is long already
    return None


cli.add_command(cli.Command("rl", "Train an agent by reinforcement learning (dqn or reinforce) in CartPole-v1, "
                            "Acrobot-v1 or the built-in grid world, with live returns and a frame of the "
                            "environment.", arguments, run, epilog=env_help))
