"""A real PostgreSQL server for the tests of workers on several machines: Debian's PostgreSQL binaries
(``tools/ensure-postgres.sh`` installs them in ``make test``), a fresh cluster in a temporary folder
on a free local port, run as the ``postgres`` user when the tests run as root (the server refuses
root), stopped at the end of the session even when a test fails."""
from __future__ import annotations

import glob
import os
import pathlib
import shutil
import socket
import subprocess
import tempfile

import pytest


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_url():
    """A URL to an empty database ``nbdl`` on a PostgreSQL server of its own."""
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if not (initdb and pg_ctl):
        why = ("PostgreSQL's server programs (initdb, pg_ctl) are not installed: run "
               "'bash tools/ensure-postgres.sh' as root (make test does)")
        if os.environ.get("NBDL_REQUIRE_POSTGRES"):  # make test: the test must run, not skip
            pytest.fail(why)
        pytest.skip(why)
    folder = pathlib.Path(tempfile.mkdtemp(prefix="nbdl-postgres-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres")
    data, port = folder / "db", _free_port()
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"

    def run(*command):
        done = subprocess.run([*as_user, *command], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            log = (folder / "log").read_text() if (folder / "log").exists() else ""
            raise RuntimeError(f"{' '.join(command)} failed: {done.stderr or done.stdout}\n{log}")

    try:
        run(initdb, "-D", str(data), "-A", "trust", "-U", "nbdl", "--no-sync")
        run(pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    try:
        import psycopg2

        connection = psycopg2.connect(host="127.0.0.1", port=port, user="nbdl", dbname="postgres")
        connection.autocommit = True
        connection.cursor().execute("CREATE DATABASE nbdl")
        connection.close()
        yield f"postgresql://nbdl:unused-secret@127.0.0.1:{port}/nbdl"
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"], capture_output=True,
                       timeout=60)
        shutil.rmtree(folder, ignore_errors=True)
