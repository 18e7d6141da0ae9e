#!/usr/bin/env bash
# Before `npm test`: the Alertmanager destination is tested against a real Alertmanager, Debian's
# prometheus-alertmanager. Installs it when missing and this user can (root with apt, as on CI);
# otherwise says how.
set -euo pipefail
binary=${ALERTMANAGER_PATH:-/usr/bin/prometheus-alertmanager}
if [ -x "$binary" ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "== installing Debian's prometheus-alertmanager for the Alertmanager destination's test"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends prometheus-alertmanager >/dev/null
  exit 0
fi
echo "The Alertmanager destination's test needs Alertmanager: apt-get install prometheus-alertmanager (as root), or set ALERTMANAGER_PATH." >&2
exit 1
