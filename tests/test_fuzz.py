"""Fuzzing: any text gives a network or a clear nbdl error; any magic line a command or a usage error;
names a user typed never reach HTML unescaped."""
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nbdl
from nbdl import cli, html
from nbdl.core.diagnostics import LayerRow

WORDS = ["input", "dense", "dropout", "batchnorm", "activation", "flatten", "relu", "softmax", "leaky_relu(0.1)",
         "elu(", "prelu", "tanh", "2", "16", "0", "-3", "0.5", "1.5", "1x8x8", "2x", "x", "nan", "inf", "1e9",
         "stride=2", "=", "#", "(", ")", "dense16", "é", "\t", "99999999", "4000000x4000000"]
line = st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=6)), max_size=5).map(" ".join)
network_text = st.one_of(st.lists(line, max_size=8).map("\n".join), st.text(max_size=80))
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(network_text)
def test_any_network_text_builds_or_raises_an_nbdl_error(text):
    try:
        network = nbdl.build(text)
    except nbdl.NbdlError:
        return
    assert isinstance(network, nbdl.Network)
    assert nbdl.NetworkSpec.parse(network.spec.to_text()) == network.spec


FLAGS = ["train", "data", "net", "dashboard", "trian", "--data", "moons", "digits", "--lr", "0.1", "-1", "abc",
         "--epochs", "3", "--optimizer", "adam", "sgdd", "--betas", "0.9", "--help", "-h", "--batch-size", "0",
         "--schedule", "step(2,0.5)", "cosine(", "--l2", "--dropout", "1.5", "--init", "zeros", "--n", "'", '"',
         "--as", "x", "--checkpoint", "--resume", "--val-split", "2", "net", "--y", "--target"]
magic_line = st.one_of(st.lists(st.one_of(st.sampled_from(FLAGS), st.text(max_size=5)), max_size=8).map(" ".join),
                       st.text(max_size=60))


@FAST
@given(magic_line)
def test_any_magic_line_parses_or_gives_a_usage_error(text):
    try:
        command, args = cli.parse(text)
    except (cli.CommandError, cli.HelpShown):
        return
    assert command in cli.subcommands()
    if command == "train":  # the options then make a config: valid, or every problem named
        try:
            nbdl.Config(network="input 2\ndense 2 softmax", data="moons",
                        data_options=cli.given_data_options(args, "moons"), **cli.config_settings(args)).validate()
        except nbdl.NbdlError:
            pass


@FAST
@given(st.text(min_size=1, max_size=30))
def test_names_in_html_are_escaped(name):
    rows = [LayerRow(name, (2,), 3)]
    for text in (html.summary_table(name, rows), html.error_box(name)):
        stripped = re.sub(r"</?(table|caption|thead|tbody|tfoot|tr|th|td|b|code|div)( [^>]*)?>", "", text)
        assert "<" not in stripped.replace("&lt;", "")
