"""The speed benchmark runs end to end (a few epochs: a smoke test, not a timing)."""
import pytest

from nbdl import bench


@pytest.mark.slow
def test_benchmark_prints_every_contender(capsys, tmp_path):
    out = tmp_path / "benchmarks.md"
    bench.main(["--quick", "--write", str(out)])
    text = capsys.readouterr().out
    for contender in ("nbdl, live plots on", "nbdl, plots off", "hand-written loop, tensor slicing",
                      "hand-written loop, DataLoader", "skorch"):
        assert text.count(f"| {contender} |") == 4
    assert "| 16 runs stacked (`many.train_many`) |" in text and "2 workers vs 1:" in text
    assert "### DQN on CartPole-v1" in text and "| maml |" in text and "| from scratch (same shots) |" in text
    assert "`%load_ext nbdl` after it:" in text and "Peak memory" in text
    assert out.read_text().startswith("# Benchmarks")
