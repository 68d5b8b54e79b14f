"""Trials of one Optuna study run by worker processes, on this machine (``spawn``) or on any number
of machines (``python -m nbdl worker STUDY --storage URL``), all sharing one journal file or database.

Workers stop when the study holds the requested number of finished trials (complete, pruned, or
failed on their own, such as a diverged run), counted across all workers: each claims a new trial
under a lock (``study_storage.lock_for``), so together they never run more than asked. A worker
that dies mid-trial leaves its trial running; with a database, Optuna's heartbeat marks it failed
after a grace period and queues its parameters again (``RetryHeartbeatStaleTrialCallback``); with
a journal file, which has no heartbeat, a worker on the same machine notices that the owner's
process is gone and does the same. The retried trial runs once more and counts once.
"""
from __future__ import annotations

import contextlib
import copy
import os
import pathlib
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from typing import Any, Callable

from .errors import NbdlError
from .limits import alive
from .study_storage import HEARTBEAT, hidden, lock_for, optuna_module, retry, storage_for

__all__ = ["finished", "spawn", "stop", "storage_for", "wait", "work"]   # storage_for: for search
FINISHED = ("COMPLETE", "PRUNED")


def check_study(study_name: str, storage: Any, shared) -> None:
    """An error naming the studies there when ``study_name`` is not in the storage."""
    optuna = optuna_module()
    names = sorted(optuna.get_all_study_names(storage=shared))
    if study_name not in names:
        where = hidden(storage) if isinstance(storage, str) else "this storage"
        raise NbdlError(f"no study {study_name!r} in {where}; it holds: {', '.join(names) or 'no study'}. "
                        f"Create it first with nbdl.search(..., storage=...)")


def finished(study, trials: list | None = None) -> int:
    """The trials that count toward a search's total: complete, pruned, or failed on their own (a
    diverged run, a refused config); not those whose worker died or was stopped, queued again."""
    trials = study.get_trials(deepcopy=False) if trials is None else trials
    retried = {number for t in trials for number in t.system_attrs.get("retry_history", ())}
    return sum(t.state.name in FINISHED or (t.state.name == "FAIL" and t.number not in retried) for t in trials)


def work(study_name: str, storage: Any, trials: int | None = None, *, load_study: Callable, objective_for: Callable,
         heartbeat: int = HEARTBEAT, quiet: bool = False) -> int:
    """Run trials of a study until it holds ``trials`` finished trials in total, from all workers
    together (None: until stopped, or until a grid is used up). ``load_study(name, storage)`` opens
    the study with its sampler and pruner, ``objective_for(study)`` gives the function a trial runs
    (``nbdl.core.search`` has both; they come in as arguments so that search may use this module).
    It trains on one torch thread and gives back the thread count and Optuna's log level after.
    Returns how many trials this worker ran."""
    import torch

    optuna = optuna_module()
    if trials is not None and (not isinstance(trials, int) or isinstance(trials, bool) or trials < 1):
        raise NbdlError(f"trials must be a whole number >= 1, got {trials!r}")
    if not isinstance(heartbeat, int) or isinstance(heartbeat, bool) or heartbeat < 1:   # a journal too: refused alike
        raise NbdlError(f"heartbeat must be a whole number of seconds >= 1, got {heartbeat!r}")
    verbosity, threads = optuna.logging.get_verbosity(), torch.get_num_threads()  # given back at the end
    if quiet:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        return _work(study_name, storage, trials, heartbeat, load_study, objective_for)
    finally:
        optuna.logging.set_verbosity(verbosity)
        torch.set_num_threads(threads)


def _work(study_name, storage, trials, heartbeat, load_study, objective_for) -> int:
    import torch

    shared = storage_for(storage, heartbeat=heartbeat)
    check_study(study_name, storage, shared)
    study = load_study(study_name, shared)
    study.sampler.reseed_rng()   # the same seed in every worker would draw the same trials
    torch.set_num_threads(1)
    claim, objective = Claim(study, storage, shared, trials), objective_for(study)
    ran, stopped_in = 0, []

    def run_one(trial):
        nonlocal ran
        trial.set_user_attr("worker_pid", os.getpid())
        trial.set_user_attr("worker_host", socket.gethostname())
        claim.release()      # the trial is ours and marked as ours: others may claim the next one
        ran += 1
        try:
            return objective(trial)
        except KeyboardInterrupt:
            stopped_in.append(trial.number)
            raise

    def after_trial(study, trial):
        if not claim.next():
            study.stop()

    try:
        if claim.next():
            study.optimize(run_one, callbacks=[after_trial], gc_after_trial=False)
    except KeyboardInterrupt:
        for number in stopped_in:    # Optuna marked it failed; its parameters deserve a whole run
            retry_later(study, study.get_trials(deepcopy=True)[number])
        raise
    finally:
        claim.release()
        claim.lock.close()
    return ran


def retry_later(study, trial) -> None:
    """Queue a failed trial's parameters again, as Optuna does for a trial whose heartbeat stopped."""
    optuna = optuna_module()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        retry(optuna)(study, trial)


class Claim:
    """Decides, under a lock shared by all workers, whether this worker starts another trial.

    ``next()`` returns holding the lock when the answer is yes (the caller asks for the trial, marks
    it as its own, then calls ``release()``), so two workers never both take the last trial."""

    def __init__(self, study, storage: Any, shared, trials: int | None, poll: float = 0.5):
        self.study, self.trials, self.poll = study, trials, poll
        beats = getattr(shared, "get_heartbeat_interval", None)
        self.heartbeat = callable(beats) and beats() is not None
        self.lock, self.held = lock_for(study.study_name, storage, shared), False
        self.host = socket.gethostname()

    def next(self) -> bool:
        while True:
            self.acquire()
            decision = self.decide()
            if decision != "wait":
                if decision == "stop":
                    self.release()
                return decision == "run"
            self.release()
            time.sleep(self.poll)

    def acquire(self) -> None:
        if not self.held:
            self.lock.acquire()
            self.held = True

    def decide(self) -> str:
        """"run" a trial, "stop", or "wait" for the trials others are running (one may die)."""
        optuna = optuna_module()
        if self.heartbeat:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                optuna.storages.fail_stale_trials(self.study)
        else:
            self.retry_orphans()
        if self.trials is None:
            return "run"
        trials = self.study.get_trials(deepcopy=False)
        # Without a heartbeat, a running trial that no worker marked as its own may never end: not waited for.
        running = sum(t.state.name == "RUNNING" and (self.heartbeat or "worker_pid" in t.user_attrs) for t in trials)
        waiting = sum(t.state.name == "WAITING" for t in trials)
        done = finished(self.study, trials)
        if done >= self.trials:
            return "stop"
        if waiting or done + running < self.trials:
            return "run"
        return "wait"

    def retry_orphans(self) -> None:
        """Without a heartbeat: fail and queue again the running trials of dead workers on this machine."""
        optuna = optuna_module()
        for trial in self.study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
            pid, host = trial.user_attrs.get("worker_pid"), trial.user_attrs.get("worker_host")
            if host == self.host and pid is not None and not alive(pid):
                self.study.tell(trial.number, state=optuna.trial.TrialState.FAIL)
                retry_later(self.study, copy.deepcopy(trial))

    def release(self) -> None:
        if self.held:
            self.held = False
            self.lock.release()


class Worker(subprocess.Popen):
    """One worker process started by ``spawn``; ``log`` is the file its messages go to."""

    log = ""


def spawn(study_name: str, storage: Any, count: int, trials: int | None = None, *,
          heartbeat: int = HEARTBEAT) -> list[Worker]:
    """Start ``count`` worker processes on this machine (``python -m nbdl worker``, one torch thread
    each) on a study kept in a journal file or database. ``wait`` or ``stop`` them afterwards."""
    if not isinstance(storage, (str, os.PathLike)):
        raise NbdlError("worker processes share the study through a journal file or a database: give "
                        "storage='study.journal' or a URL such as postgresql://user@host/db")
    if not isinstance(count, int) or count < 1:
        raise NbdlError(f"workers must be a whole number >= 1, got {count!r}")
    storage = os.fspath(storage)
    if "://" not in storage:
        storage = os.path.abspath(os.path.expanduser(storage))
    root = str(pathlib.Path(__file__).resolve().parents[2])
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", NBDL_PARENT_PID=str(os.getpid()),
               PYTHONPATH=os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p))
    command = [sys.executable, "-m", "nbdl", "worker", study_name, "--storage", storage, "--quiet",
               "--heartbeat", str(heartbeat), *(["--trials", str(trials)] if trials is not None else [])]
    started: list[Worker] = []
    try:
        for _ in range(count):
            with tempfile.NamedTemporaryFile("wb", prefix="nbdl-worker-", suffix=".log", delete=False) as log:
                worker = Worker(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)   # Ctrl-C reaches the caller, which stops them
            worker.log = log.name
            started.append(worker)
    except BaseException:
        stop(started)
        raise
    return started


def wait(workers: list[Worker], timeout: float | None = None, poll: float = 0.2) -> bool:
    """Wait until every worker has ended (True) or ``timeout`` seconds passed (False). An interrupt
    stops them all; a worker that failed raises an error with the end of its messages."""
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        while any(worker.poll() is None for worker in workers):   # poll reaps: no zombie
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(poll)
    except BaseException:
        stop(workers)
        raise
    failed = [worker for worker in workers if worker.returncode != 0]
    problems = [f"worker process {w.pid} ended with exit code {w.returncode}: {tail(w.log)}" for w in failed]
    forget(workers)
    if problems:
        raise NbdlError("; ".join(problems))
    return True


def stop(workers: list[Worker], grace: float = 5.0) -> None:
    """End the workers: each marks its running trial failed and exits; any still there after
    ``grace`` seconds is killed. Every one is reaped."""
    for worker in workers:
        if worker.poll() is None:
            worker.terminate()
    deadline = time.monotonic() + grace
    for worker in workers:
        try:
            worker.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    forget(workers)


def tail(path: str, lines: int = 3) -> str:
    try:
        text = pathlib.Path(path).read_text(errors="replace").strip().splitlines()
    except OSError:
        return "(no messages)"
    return " | ".join(text[-lines:]) or "(no messages)"


def forget(workers: list[Worker]) -> None:
    for worker in workers:
        if worker.log:
            with contextlib.suppress(OSError):
                os.remove(worker.log)
            worker.log = ""


def follow_parent(poll: float = 1.0) -> None:
    """In a worker started by ``spawn``: stop as on SIGTERM once the process that started it is
    gone (a kernel that was killed), so no worker is left running on its own."""
    parent = os.environ.get("NBDL_PARENT_PID")
    if not parent or not parent.isdigit():
        return

    def watch():
        while os.getppid() == int(parent):
            time.sleep(poll)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="nbdl-follow-parent", daemon=True).start()
