#!/usr/bin/env bash
# Before `npm test`: the report's HTML is checked in a real headless browser, Debian's chromium.
# Installs it when missing and this user can (root with apt, as on CI); otherwise says how.
set -euo pipefail
browser=${CHROMIUM_PATH:-/usr/bin/chromium}
if [ -x "$browser" ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "== installing Debian's chromium for the report's browser test"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "The report's browser test needs Chromium: apt-get install chromium (as root), or set CHROMIUM_PATH." >&2
exit 1
