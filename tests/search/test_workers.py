"""Worker processes on one study: the storages they share, the command line, and what happens when a
worker dies mid-trial (a real PostgreSQL server: its trial is failed by the heartbeat and run again
by the survivor, and the study ends with exactly the trials asked for)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

optuna = pytest.importorskip("optuna")

from nbdl.core import search, workers  # noqa: E402
from nbdl.core.config import Config  # noqa: E402
from nbdl.core.errors import NbdlError  # noqa: E402

NET = "input 2\ndense 16 relu\ndense 16 relu\ndense 2 softmax"
SPACE = {"lr": (1e-3, 1e-1, "log"), "batch_size": [16, 32]}
STATE = optuna.trial.TrialState


def make_study(storage, name: str, epochs: int, pruning: bool = False):
    config = Config(network=NET, data="moons", epochs=epochs)
    return search.create_study(config, SPACE, method="random", metric="val_loss", storage=storage, name=name,
                               seed=0, pruning=pruning)


def trials_of(name: str, storage) -> list:
    return optuna.load_study(study_name=name, storage=workers.storage_for(storage)).get_trials(deepcopy=True)


def poll_until(condition, timeout: float = 60.0, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"waited {timeout} s for {what}")


def running_trial_of(pid: int, name: str, storage):
    """The trial worker ``pid`` is in the middle of (its parameters drawn), if any."""
    for trial in trials_of(name, storage):
        if trial.state == STATE.RUNNING and trial.user_attrs.get("worker_pid") == pid and len(trial.params) == 2:
            return trial
    return None


def check_killed_trial_retried(name: str, storage, victim: int, survivor: int, total: int):
    """The killed worker's trial failed and ran again, once, in the survivor; the study holds exactly
    ``total`` finished trials and nothing else but that failure."""
    trials = trials_of(name, storage)
    failed = [t for t in trials if t.state == STATE.FAIL]
    assert [t.user_attrs["worker_pid"] for t in failed] == [victim]
    killed = failed[0]
    retries = [t for t in trials if t.system_attrs.get("failed_trial") == killed.number]
    assert len(retries) == 1
    retry = retries[0]
    assert retry.state in (STATE.COMPLETE, STATE.PRUNED)
    assert retry.params == killed.params and retry.user_attrs["worker_pid"] == survivor
    finished = [t for t in trials if t.state in (STATE.COMPLETE, STATE.PRUNED)]
    assert len(finished) == total == len(trials) - 1
    assert [t.params for t in finished].count(killed.params) == 1     # that parameter set finished once
    assert len({tuple(sorted(t.params.items())) for t in finished}) == total   # random floats: no repeat
    return killed, retry


# -- storages -------------------------------------------------------------------------------------------

def test_storage_kinds(tmp_path):
    assert isinstance(workers.storage_for(None), optuna.storages.InMemoryStorage)
    journal = workers.storage_for(tmp_path / "study.journal")
    assert isinstance(journal, optuna.storages.JournalStorage) and (tmp_path / "study.journal").exists()
    assert workers.storage_for(journal) is journal
    with pytest.raises(NbdlError, match="folder .*missing.* does not exist"):
        workers.storage_for(str(tmp_path / "missing" / "study.journal"))
    with pytest.raises(NbdlError, match="journal file path or a database URL"):
        workers.storage_for(42)


def test_a_journal_cut_mid_record_reads_and_goes_on_without_losing_what_follows(tmp_path):
    path = tmp_path / "cut.journal"
    config = Config(network=NET, data="moons", data_options={"n": 100}, epochs=1)
    search.search(config, SPACE, trials=2, method="random", storage=str(path), name="cut")
    whole = path.read_bytes()
    path.write_bytes(whole[:-25])   # a process killed while it wrote its last record
    found = search.search(config, SPACE, trials=2, method="random", storage=str(path), name="cut")
    assert len(found.trials) == 4
    assert path.read_bytes().endswith(b"\n")
    again = trials_of("cut", path)   # a fresh reader of the file sees every record written after the cut
    assert [t.number for t in again] == [0, 1, 2, 3] and [t.state for t in again[2:]] == [STATE.COMPLETE] * 2


@pytest.mark.parametrize("damage", [b"garbage, not a record\n", b"\x00\x01\xff{{\n"])
def test_a_damaged_journal_names_its_bad_line_and_the_fix(tmp_path, damage):
    path = tmp_path / "bad.journal"
    make_study(str(path), "bad", epochs=1)
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(lines[0] + damage + b"".join(lines[1:]))
    with pytest.raises(NbdlError, match=r"bad.journal' is damaged: line 2 is not a record of a study .* cut the "
                                        r"file before line 2"):
        workers.storage_for(str(path))


def test_a_heartbeat_below_one_second_is_refused_whatever_the_storage(tmp_path):
    make_study(str(tmp_path / "h.journal"), "h", epochs=1)
    with pytest.raises(NbdlError, match="heartbeat must be a whole number of seconds >= 1, got 0"):
        workers.work("h", str(tmp_path / "h.journal"), 1, load_study=search.load_study,
                     objective_for=search.objective_for, heartbeat=0)


def test_file_lock_is_reentrant_here_and_exclusive_across_processes(tmp_path):
    from nbdl.core.study_storage import file_lock

    path = tmp_path / "study.journal"
    path.touch()
    probe = ("import fcntl, os, sys\nfd = os.open(sys.argv[1], os.O_RDONLY)\n"
             "try:\n    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\nexcept OSError:\n    sys.exit(1)\n")

    def free_elsewhere() -> bool:
        return subprocess.run([sys.executable, "-c", probe, str(path)]).returncode == 0

    lock = file_lock(str(path))
    assert file_lock(str(tmp_path / "." / "study.journal")) is lock     # one lock per file in a process
    with lock:
        with lock:                                                       # the journal appends inside a claim
            assert not free_elsewhere()
        assert not free_elsewhere()
    assert free_elsewhere()


def test_unreachable_database_names_the_url_without_its_password():
    with pytest.raises(NbdlError) as caught:
        workers.storage_for("postgresql://nbdl:hunter2@127.0.0.1:1/nbdl")
    message = str(caught.value)
    assert "postgresql://nbdl:***@127.0.0.1:1/nbdl" in message and "hunter2" not in message
    assert "server is running" in message and "createdb" in message
    with pytest.raises(NbdlError, match="unknown kind of database"):
        workers.storage_for("nosuchdb://host/x")
    with pytest.raises(NbdlError, match=r"driver 'pg8000'.*nbdl\[tune\]"):
        workers.storage_for("postgresql+pg8000://u:p@127.0.0.1/x")


def test_finished_counts_a_retried_trial_once():
    """Complete, pruned and failed-on-its-own trials count; a trial whose worker died, queued again,
    does not (its retry does, once it ends)."""
    study = optuna.create_study()
    distribution = optuna.distributions.FloatDistribution(0, 1)
    add = study.add_trial
    add(optuna.create_trial(value=1.0, params={"x": 0.1}, distributions={"x": distribution}))
    add(optuna.create_trial(state=STATE.PRUNED, params={"x": 0.2}, distributions={"x": distribution}))
    add(optuna.create_trial(state=STATE.FAIL, params={"x": 0.3}, distributions={"x": distribution}))  # diverged
    add(optuna.create_trial(state=STATE.FAIL, params={"x": 0.4}, distributions={"x": distribution}))  # died
    assert workers.finished(study) == 4
    workers.retry_later(study, study.trials[3])
    retry = study.trials[4]
    assert retry.state == STATE.WAITING and retry.params == {"x": 0.4}
    assert workers.finished(study) == 3
    study.tell(study.ask().number, 0.5)      # ask() takes the waiting trial first
    assert study.trials[4].state == STATE.COMPLETE and workers.finished(study) == 4


def test_claim_runs_waits_and_stops_by_the_count_and_retries_a_dead_local_worker():
    """Without a heartbeat: a running trial whose worker process is gone is failed and queued again."""
    import socket

    study = optuna.create_study()
    claim = workers.Claim(study, None, None, trials=3)   # in memory: no lock, no heartbeat
    study.tell(study.ask(), 1.0)
    mine = study.ask()
    mine.set_user_attr("worker_pid", os.getpid())
    mine.set_user_attr("worker_host", socket.gethostname())
    assert claim.decide() == "run"                      # 1 done + 1 running < 3
    ghost = study.ask()
    ghost.suggest_float("x", 0, 1)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    ghost.set_user_attr("worker_pid", int(gone.stdout))
    ghost.set_user_attr("worker_host", socket.gethostname())
    assert claim.decide() == "run"                      # the ghost's trial failed, its retry waits
    states = [t.state for t in study.get_trials()]
    assert states == [STATE.COMPLETE, STATE.RUNNING, STATE.FAIL, STATE.WAITING]
    assert study.trials[3].params == ghost.params
    retry = study.ask()
    retry.set_user_attr("worker_pid", os.getpid())
    retry.set_user_attr("worker_host", socket.gethostname())
    assert claim.decide() == "wait"                     # 1 done + 2 running = 3: one of them may die
    study.tell(mine, 2.0)
    study.tell(retry, 3.0)
    assert claim.decide() == "stop" and workers.finished(study) == 3


# -- the command line -----------------------------------------------------------------------------------

def run_cli(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "nbdl", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


@pytest.mark.slow
def test_command_line_help_and_errors(tmp_path):
    make_study(str(tmp_path / "s.journal"), "here", epochs=2)
    started = [run_cli("worker", "--help"),
               run_cli("worker", "moons", "--storage", "postgresql://nbdl:hunter2@127.0.0.1:1/nbdl"),
               run_cli("worker", "elsewhere", "--storage", str(tmp_path / "s.journal")),
               run_cli("worker", "moons")]
    (help_out, _), (_, unreachable), (_, missing), (_, usage) = [p.communicate(timeout=120) for p in started]
    assert [p.returncode for p in started] == [0, 2, 2, 2]
    assert "python -m nbdl worker" in help_out and "--storage URL" in help_out and "--trials N" in help_out
    assert "examples:" in help_out
    assert "error: cannot reach the database 'postgresql://nbdl:***@127.0.0.1:1/nbdl'" in unreachable
    assert "hunter2" not in unreachable and "Traceback" not in unreachable
    assert "no study 'elsewhere'" in missing and "it holds: here" in missing
    assert "the following arguments are required: --storage" in usage


# -- worker processes on one machine (a journal file) ---------------------------------------------------

@pytest.mark.slow
def test_interrupt_while_waiting_stops_every_worker_and_requeues_their_trials(tmp_path):
    storage = str(tmp_path / "study.journal")
    make_study(storage, "stopped", epochs=400)
    started = workers.spawn("stopped", storage, 2, trials=50)
    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        poll_until(lambda: all(running_trial_of(p.pid, "stopped", storage) for p in started), what="two running trials")
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        with pytest.raises(KeyboardInterrupt):
            workers.wait(started)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        workers.stop(started)
    for process in started:
        assert process.returncode == 130           # stopped through SIGTERM, not killed
        with pytest.raises(ProcessLookupError):     # reaped: no zombie left
            os.kill(process.pid, 0)
    trials = trials_of("stopped", storage)
    failed = [t for t in trials if t.state == STATE.FAIL]
    waiting = [t for t in trials if t.state == STATE.WAITING]
    assert len(failed) == 2
    assert sorted(str(t.params) for t in waiting) == sorted(str(t.params) for t in failed)
    assert not any(t.state == STATE.RUNNING for t in trials)


def interrupt(signum, frame):
    raise KeyboardInterrupt


@pytest.mark.slow
def test_a_worker_ends_when_the_process_that_started_it_dies(tmp_path):
    """A kernel killed outright leaves no worker behind: the worker fails its trial, queues it again, exits."""
    storage = str(tmp_path / "study.journal")
    make_study(storage, "orphan", epochs=1000)
    code = ("import sys, time\nfrom nbdl.core import workers\n"
            f"started = workers.spawn('orphan', {storage!r}, 1, trials=50)\n"
            "print(started[0].pid, started[0].log, flush=True)\ntime.sleep(300)\n")
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        pid, log = parent.stdout.readline().split()
        pid = int(pid)
        poll_until(lambda: running_trial_of(pid, "orphan", storage), what="a running trial")
    finally:
        parent.kill()
        parent.wait()
        parent.stdout.close()
    poll_until(lambda: not workers.alive(pid), timeout=30, what="the worker to end")
    os.remove(log)      # its messages, which the dead parent would have removed
    states = sorted(t.state.name for t in trials_of("orphan", storage))
    assert states == ["FAIL", "WAITING"]


@pytest.mark.slow
def test_journal_workers_retry_the_trial_of_a_killed_worker(tmp_path):
    """No heartbeat in a journal file: the survivor sees that the owner of a running trial is gone."""
    storage = str(tmp_path / "study.journal")
    make_study(storage, "journal", epochs=80, pruning=True)
    victim, survivor = workers.spawn("journal", storage, 2, trials=10)
    try:
        poll_until(lambda: running_trial_of(victim.pid, "journal", storage), what="a trial in the victim")
        victim.kill()
        victim.wait()
        assert workers.wait([survivor], timeout=120)
    finally:
        workers.stop([victim, survivor])
    check_killed_trial_retried("journal", storage, victim.pid, survivor.pid, total=10)
    # the same file format as Optuna's own journal (nbdl writes it without an fsync per record)
    from optuna.storages.journal import JournalFileBackend

    plain = optuna.storages.JournalStorage(JournalFileBackend(storage))
    assert len(optuna.load_study(study_name="journal", storage=plain).trials) == 11


# -- several machines: a real PostgreSQL server ---------------------------------------------------------

@pytest.mark.slow
def test_postgres_worker_killed_mid_trial_is_failed_by_heartbeat_and_retried(postgres_url):
    make_study(postgres_url, "killed", epochs=80)
    victim, survivor = workers.spawn("killed", postgres_url, 2, trials=12, heartbeat=2)
    try:
        poll_until(lambda: running_trial_of(victim.pid, "killed", postgres_url), what="a trial in the victim")
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        held = [t.number for t in trials_of("killed", postgres_url)
                if t.state == STATE.RUNNING and t.user_attrs.get("worker_pid") == victim.pid]
        assert len(held) == 1                      # it died holding one running trial
        assert workers.wait([survivor], timeout=180)
    finally:
        workers.stop([victim, survivor])
    killed, retry = check_killed_trial_retried("killed", postgres_url, victim.pid, survivor.pid, total=12)
    assert killed.number == held[0]
    # the notebook's side: the study and its table, read back from the database
    study = search.load_study("killed", postgres_url)
    table = study.trials_dataframe()
    assert len(table) == 13 and (table["state"] == "COMPLETE").sum() == 12
    result = search.result_of(study)
    assert len(result.trials) == 13 and result.best_value == min(t.value for t in study.trials if t.value is not None)


@pytest.mark.slow
def test_benchmark_report_is_markdown_with_both_counts():
    from nbdl import bench_search

    text = bench_search.report(trials=4, epochs=2)
    rows = [line for line in text.splitlines() if line.startswith("| 1 |") or line.startswith("| 2 |")]
    assert len(rows) == 2 and all(row.split("|")[2].strip() == "4" for row in rows)
    assert "2 workers vs 1: **" in text and "trials/min" in text
