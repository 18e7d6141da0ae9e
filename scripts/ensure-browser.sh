#!/usr/bin/env bash
# Before `npm test`: the report's HTML is checked in a real headless browser, Debian's chromium.
exec bash "$(dirname "$0")/ensure-debian-tool.sh" "${CHROMIUM_PATH:-/usr/bin/chromium}" chromium CHROMIUM_PATH "the report's browser test"
