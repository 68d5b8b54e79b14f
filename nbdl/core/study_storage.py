"""Where a search's study is kept, and the lock its workers share.

``storage_for`` turns the text a user gives into an Optuna storage: nothing (in memory), a journal
file's path (processes on one machine), or a database URL (``postgresql://...``: workers on several
machines, with a heartbeat so that a dead worker's trial is failed and queued again). ``lock_for``
gives the lock under which workers claim trials, so that together they never run more than asked.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import pathlib
import threading
import warnings
from typing import Any

from .errors import NbdlError

try:
    import fcntl
except ImportError:     # Windows: Optuna's own journal file and its lock; workers' claims then unlocked
    fcntl = None

TUNE_EXTRA = "pip install 'nbdl[tune]'"
HEARTBEAT = 10        # seconds between a running trial's heartbeats in a database
GRACE = 3             # heartbeats missed before a running trial counts as dead
MAX_RETRY = 3         # times a dead worker's trial is queued again


def optuna_module():
    """Optuna, or the error that says how to install it."""
    try:
        import optuna
    except ImportError:
        raise NbdlError(f"searching needs Optuna; install it with {TUNE_EXTRA}") from None
    return optuna


def hidden(url: str) -> str:
    """A database URL with its password replaced by ***, for messages."""
    try:
        from sqlalchemy.engine import make_url
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1]


def storage_for(text: Any = None, *, heartbeat: int = HEARTBEAT):
    """The Optuna storage that ``text`` names: None keeps the study in memory (this process only);
    a file path is a journal file (several processes on one machine, resumable); a URL such as
    ``postgresql://user:password@host/db`` is a database shared by workers on several machines,
    with a heartbeat every ``heartbeat`` seconds so that a dead worker's trial is failed and retried."""
    optuna = optuna_module()
    if text is None:
        return optuna.storages.InMemoryStorage()
    if isinstance(text, optuna.storages.BaseStorage):
        return text
    if not isinstance(text, (str, os.PathLike)):
        raise NbdlError(f"storage must be a journal file path or a database URL such as "
                        f"postgresql://user@host/db, got {text!r:.60}")
    text = os.fspath(text)
    if "://" not in text:
        return _journal(optuna, text)
    return _database(optuna, text, heartbeat)


def _journal(optuna, path: str):
    folder = pathlib.Path(path).expanduser().resolve().parent
    if not folder.is_dir():
        raise NbdlError(f"cannot keep the study in {path!r}: folder {str(folder)!r} does not exist; "
                        f"create it or give another path")
    try:
        return optuna.storages.JournalStorage(journal_file()(str(pathlib.Path(path).expanduser())))
    except OSError as error:
        raise NbdlError(f"cannot open the journal file {path!r}: {error.strerror}") from None
    except ValueError as error:   # a line that is not a JSON record (UnicodeDecodeError is a ValueError too)
        line = damaged_line(pathlib.Path(path).expanduser())
        raise NbdlError(f"the journal file {path!r} is damaged: line {line} is not a record of a study "
                        f"({type(error).__name__}: {str(error)[:80]}), and nothing after it can be read. Keep a "
                        f"copy, then cut the file before line {line} to keep the trials before it, or give "
                        f"another file for a new study") from None


def damaged_line(path: pathlib.Path) -> int | str:
    """The number (from 1) of the first whole line of a journal file that is not a JSON record."""
    with open(path, "rb") as journal:
        for number, line in enumerate(journal, start=1):
            try:
                json.loads(line)
            except ValueError:
                return number
    return "?"


def _database(optuna, url: str, heartbeat: int):
    import sqlalchemy.exc
    from sqlalchemy.engine import make_url

    shown = hidden(url)
    try:
        parsed = make_url(url)
    except sqlalchemy.exc.ArgumentError:
        raise NbdlError(f"cannot read the storage URL {shown!r}; write it like "
                        f"postgresql://user:password@host:5432/database") from None
    if not isinstance(heartbeat, int) or heartbeat < 1:
        raise NbdlError(f"heartbeat must be a whole number of seconds >= 1, got {heartbeat!r}")
    engine: dict[str, Any] = {"pool_pre_ping": True}
    if parsed.get_backend_name() == "postgresql":
        engine["connect_args"] = {"connect_timeout": 10}
    if parsed.drivername == "postgresql":      # SQLAlchemy 2.1 means psycopg 3; the tune extra brings psycopg2
        url = parsed.set(drivername="postgresql+" + _postgres_driver(shown)).render_as_string(hide_password=False)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.storages.RDBStorage(url, engine_kwargs=engine, heartbeat_interval=heartbeat,
                                              grace_period=GRACE * heartbeat, **retry_argument(optuna))
    except sqlalchemy.exc.NoSuchModuleError:
        raise NbdlError(f"unknown kind of database in {shown!r}; use postgresql://user:password@host/database, "
                        f"sqlite:///FILE or a journal file path") from None
    except ImportError:
        raise NbdlError(f"storage {shown!r} needs the Python driver {parsed.get_driver_name()!r}, which is not "
                        f"installed; for PostgreSQL write postgresql:// and run {TUNE_EXTRA}") from None
    except sqlalchemy.exc.OperationalError as error:
        reason = str(error.orig or error).strip().splitlines()[0]
        raise NbdlError(f"cannot reach the database {shown!r}: {reason}. Check that the server is "
                        f"running and reachable from this machine (host and port), that the user and password "
                        f"are right, and that the database exists (createdb NAME)") from None
    except sqlalchemy.exc.SQLAlchemyError as error:
        raise NbdlError(f"cannot use the database {shown!r}: {str(error).splitlines()[0]}") from None


def retry(optuna):
    """Optuna's callback that queues a dead worker's trial again (renamed in Optuna 4.9)."""
    storages = optuna.storages
    kind = getattr(storages, "RetryHeartbeatStaleTrialCallback", None) or storages.RetryFailedTrialCallback
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return kind(max_retry=MAX_RETRY)


def retry_argument(optuna) -> dict[str, Any]:
    new = hasattr(optuna.storages, "RetryHeartbeatStaleTrialCallback")
    return {"heartbeat_stale_trial_callback" if new else "failed_trial_callback": retry(optuna)}


def _postgres_driver(shown: str) -> str:
    for module, driver in (("psycopg2", "psycopg2"), ("psycopg", "psycopg")):
        try:
            __import__(module)
            return driver
        except ImportError:
            continue
    raise NbdlError(f"storage {shown!r} needs psycopg2; install it with {TUNE_EXTRA}")


@functools.cache
def journal_file() -> type:
    """Optuna's journal file (one JSON record a line, the same format), appended under ``file_lock``
    and without an fsync after every record. With a disk flush for every epoch's report (Optuna's
    way) two workers ran at 1.0-1.5x the speed of one here; without, 1.9x. A crash of the machine
    (not of a process: the records are in the system's cache) may lose the last records. Every nbdl
    process opens journals through here and so takes this lock; a plain Optuna process writing the
    same file at the same time would not."""
    from optuna.storages.journal import JournalFileBackend

    if fcntl is None:
        return JournalFileBackend

    class JournalFile(JournalFileBackend):
        def __init__(self, path: str):
            super().__init__(path)
            self.path, self.lock = path, file_lock(path)

        def append_logs(self, logs: list[dict[str, Any]]) -> None:
            text = "".join(json.dumps(log, separators=(",", ":")) + "\n" for log in logs).encode()
            with self.lock, open(self.path, "r+b") as journal:
                cut_partial_record(journal)
                journal.seek(0, os.SEEK_END)
                journal.write(text)

    return JournalFile


def cut_partial_record(journal) -> None:
    """Remove the end of a journal file after its last newline: a record that a process killed while
    writing left half written. Readers skip it; a record appended after it would join it into one
    line that no reader can decode, and every record after that would be lost."""
    end = journal.seek(0, os.SEEK_END)
    if end == 0:
        return
    journal.seek(end - 1)
    if journal.read(1) == b"\n":
        return
    start = max(0, end - (1 << 20))
    journal.seek(start)
    tail = journal.read()
    newline = tail.rfind(b"\n")
    journal.truncate(start + newline + 1 if newline >= 0 else 0 if start == 0 else end)


def lock_for(study_name: str, storage: Any, shared):
    """The lock all workers of one study share: a file lock on a journal file or SQLite database,
    a PostgreSQL advisory lock; none elsewhere (MySQL: the count may then overshoot by a trial or two).
    Locks are re-entrant: whoever takes one releases it as often."""
    if isinstance(storage, (str, os.PathLike)) and "://" not in os.fspath(storage):
        return file_lock(os.fspath(storage))
    engine = getattr(shared, "engine", None)
    if engine is not None and engine.dialect.name == "postgresql":
        return AdvisoryLock(engine, study_name)
    if engine is not None and engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        return file_lock(engine.url.database)
    return NoLock()


class NoLock:
    def acquire(self) -> bool:
        return True

    def release(self) -> None:
        pass

    def close(self) -> None:
        """Let go of what the lock holds open (a database connection); a file lock stays for the process."""

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


FILE_LOCKS: dict[str, "FileLock"] = {}


def file_lock(path: str) -> "FileLock":
    """The one lock of this process on file ``path`` (a journal's appends and the workers' claims share it)."""
    key = os.path.realpath(os.path.expanduser(path))
    if key not in FILE_LOCKS:
        FILE_LOCKS[key] = FileLock(key)
    return FILE_LOCKS[key]


def forget_locks(folder: str) -> None:
    """Close and drop this process's locks on files under ``folder`` (before the folder is removed)."""
    root = os.path.realpath(folder) + os.sep
    for key in [k for k in FILE_LOCKS if k.startswith(root)]:
        lock = FILE_LOCKS.pop(key)
        if lock.fd is not None:
            os.close(lock.fd)
            lock.fd = None


class FileLock(NoLock):
    """An exclusive ``flock`` on a file, re-entrant in one process (a thread lock guards the depth).
    The system frees it when the process dies. Without fcntl (Windows) only the threads are kept apart."""

    def __init__(self, path: str):
        self.path, self.depth, self.fd, self.guard = path, 0, None, threading.RLock()

    def acquire(self) -> bool:
        self.guard.acquire()
        try:
            if self.depth == 0 and fcntl is not None:
                fcntl.flock(self.descriptor(), fcntl.LOCK_EX)
        except BaseException:
            self.guard.release()
            raise
        self.depth += 1
        return True

    def release(self) -> None:
        self.depth -= 1
        if self.depth == 0 and fcntl is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
        self.guard.release()

    def descriptor(self) -> int:
        """An open descriptor of the file as it is now (a file removed and made again is another)."""
        if self.fd is not None and os.fstat(self.fd).st_ino != os.stat(self.path).st_ino:
            os.close(self.fd)
            self.fd = None
        if self.fd is None:
            self.fd = os.open(self.path, os.O_RDONLY)
        return self.fd


class AdvisoryLock(NoLock):
    """A PostgreSQL session advisory lock keyed by the study's name, on a connection of its own.
    The server frees it when the worker's connection drops."""

    def __init__(self, engine, study_name: str):
        import sqlalchemy

        digest = hashlib.sha256(f"nbdl worker {study_name}".encode()).digest()
        self.key, self.text, self.connection = int.from_bytes(digest[:8], "big", signed=True), sqlalchemy.text, None
        self.engine = engine

    def acquire(self) -> bool:
        if self.connection is None:
            self.connection = self.engine.connect()
        self.connection.execute(self.text("SELECT pg_advisory_lock(:key)"), {"key": self.key})
        self.connection.commit()
        return True

    def release(self) -> None:
        self.connection.execute(self.text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
        self.connection.commit()

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None
