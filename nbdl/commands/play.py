"""``%nbdl play RUN --episodes K``: watch a trained agent: an animation of one greedy episode in the
cell (an animated GIF, which GitHub and nbviewer show too) and the greedy returns of K episodes."""
from __future__ import annotations

from .. import cli
from ..core.errors import NbdlError
from ..core.gridworld import GridWorld
from ..core.options import INT, Option

EPISODES = Option("episodes", 5, "greedy episodes to play and report", kind=INT, low=1, high=1000)
FRAMES = Option("frames", 300, "the most frames the animation shows", kind=INT, low=1, high=2000)
SEED = Option("seed", 0, "the seed of the episodes' starts", kind=INT, low=0)


def arguments(parser) -> None:
    parser.add_argument("run", metavar="RUN", help="a run from %%nbdl rl (or nbdl.rl)")
    for opt in (EPISODES, FRAMES, SEED):
        default = "the run's seed" if opt is SEED else None
        parser.add_argument("--" + opt.name, metavar=opt.name[0].upper(), help=cli.help_text(opt, default))
    parser.add_argument("--no-animation", action="store_true", help="only the returns, no animation")


def run(magics, args):
    from IPython.display import HTML, display

    from ..core.rl import RlRun
    from ..plots.rl import animation_html

    agent = magics.variable(args.run, "a run from %nbdl rl")
    if not isinstance(agent, RlRun):
        raise NbdlError(f"{args.run!r} is a {type(agent).__name__}; %nbdl play takes a run from %nbdl rl, "
                        "for example: %nbdl rl net --env gridworld --as agent, then %nbdl play agent")
    episodes = EPISODES.parse(getattr(args, "episodes", EPISODES.default), "--episodes")
    limit = FRAMES.parse(getattr(args, "frames", FRAMES.default), "--frames")
    seed = SEED.parse(args.seed, "--seed") if hasattr(args, "seed") else None
    if not getattr(args, "no_animation", False):
        frames = agent.frames(1, limit=limit)
        if frames:
            grid = isinstance(agent.env, GridWorld)
            length = f"its first {len(frames)} frames (--frames N for more)" if len(frames) >= limit \
                else f"{len(frames)} frames"
            display(HTML(animation_html(frames, fps=3 if grid else 30, width=240 if grid else 360,
                                        caption=f"{agent.env.name}: one greedy episode, {length}")))
        else:
            print(f"{agent.env.name} draws no pictures; only the returns")
    returns = agent.play(episodes, seed=seed)
    shown = ", ".join(f"{r:g}" for r in returns)
    mean = sum(returns) / len(returns)
    print(f"greedy returns over {episodes} episode{'s' * (episodes > 1)}: {shown} (mean {mean:g})")
    return None


cli.add_command(cli.Command("play", "Watch a trained agent (a run from %nbdl rl): an animation of one greedy "
                            "episode and the greedy returns of --episodes K episodes.", arguments, run))
