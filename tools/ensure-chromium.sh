#!/usr/bin/env bash
# Make sure Debian's Chromium is there for the browser test (installed by tools/apt-install.sh when
# it can be); otherwise the browser test skips, saying why.
set -u
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
exec bash "$(dirname "$0")/apt-install.sh" ensure-chromium chromium "the browser test will be skipped"
