#!/usr/bin/env bash
# Make sure Debian's PostgreSQL server programs (initdb, pg_ctl) are there for the test of workers on
# several machines, which starts a server of its own. Installs the package with apt-get when run as
# root (or with password-less sudo); otherwise says why, and that test skips with that reason.
set -u
if command -v initdb >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-postgres: no apt-get here; the PostgreSQL test of workers will be skipped" >&2
  exit 0
fi
if [ "$(id -u)" = 0 ]; then
  run=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  run=(sudo -n)
else
  echo "ensure-postgres: apt-get needs root; run 'sudo apt-get install postgresql' for the PostgreSQL test" >&2
  exit 0
fi
echo "ensure-postgres: installing Debian's postgresql (about a minute)"
"${run[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${run[@]}" apt-get install -y -qq postgresql >/dev/null \
  || echo "ensure-postgres: apt-get could not install postgresql; the PostgreSQL test will be skipped" >&2
exit 0
