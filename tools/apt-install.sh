#!/usr/bin/env bash
# apt-install.sh NAME PACKAGE CONSEQUENCE: install Debian's PACKAGE with apt-get when run as root (or
# with password-less sudo); otherwise say why, and what follows (CONSEQUENCE). Never fails the build
# itself: the tests that need the package decide what its absence means.
set -u
name=$1 package=$2 consequence=$3
if ! command -v apt-get >/dev/null 2>&1; then
  echo "$name: no apt-get here; $consequence" >&2
  exit 0
fi
if [ "$(id -u)" = 0 ]; then
  run=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  run=(sudo -n)
else
  echo "$name: apt-get needs root; run 'sudo apt-get install $package'; $consequence" >&2
  exit 0
fi
echo "$name: installing Debian's $package (about a minute)"
"${run[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${run[@]}" apt-get install -y -qq "$package" >/dev/null \
  || echo "$name: apt-get could not install $package; $consequence" >&2
exit 0
