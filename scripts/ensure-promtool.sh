#!/usr/bin/env bash
# Before `npm test`: the report's OpenMetrics file is checked with Prometheus's own promtool
# (Debian's prometheus package). Installs it when missing and this user can (root with apt, as on CI);
# otherwise says how.
set -euo pipefail
promtool=${PROMTOOL_PATH:-/usr/bin/promtool}
if [ -x "$promtool" ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "== installing Debian's prometheus for promtool (the report's OpenMetrics test)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  exit 0
fi
echo "The report's OpenMetrics test needs promtool: apt-get install prometheus (as root), or set PROMTOOL_PATH." >&2
exit 1
