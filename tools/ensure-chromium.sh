#!/usr/bin/env bash
# Make sure Debian's Chromium is there for the browser test. Installs it with apt-get when run as
# root (or with password-less sudo); otherwise says why, and the browser test skips with that reason.
set -u
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: no apt-get here; the browser test will be skipped" >&2
  exit 0
fi
if [ "$(id -u)" = 0 ]; then
  run=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  run=(sudo -n)
else
  echo "ensure-chromium: apt-get needs root; run 'sudo apt-get install chromium' for the browser test" >&2
  exit 0
fi
echo "ensure-chromium: installing Debian's chromium (about a minute)"
"${run[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${run[@]}" apt-get install -y -qq chromium >/dev/null \
  || echo "ensure-chromium: apt-get could not install chromium; the browser test will be skipped" >&2
exit 0
