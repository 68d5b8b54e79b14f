#!/usr/bin/env bash
# Make sure Debian's PostgreSQL server programs (initdb, pg_ctl) are there for the test of workers on
# several machines, which starts a server of its own (installed by tools/apt-install.sh when it can
# be); without them that test fails in make test (NBDL_REQUIRE_POSTGRES) and skips elsewhere.
set -u
if command -v initdb >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  exit 0
fi
exec bash "$(dirname "$0")/apt-install.sh" ensure-postgres postgresql "the PostgreSQL test of workers cannot run"
