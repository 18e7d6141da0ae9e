#!/usr/bin/env bash
# Before `npm test`: a Debian tool a test runs for real. Installs its package when the tool is
# missing and this user can (root with apt, as on CI); otherwise says how.
# Usage: ensure-debian-tool.sh PATH PACKAGE OVERRIDE_VARIABLE WHAT_FOR
set -euo pipefail
tool=$1 package=$2 override=$3 purpose=$4
if [ -x "$tool" ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "== installing Debian's $package for $purpose"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "$package" >/dev/null
  exit 0
fi
echo "$purpose needs $tool: apt-get install $package (as root), or set $override." >&2
exit 1
