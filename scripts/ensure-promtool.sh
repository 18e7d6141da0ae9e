#!/usr/bin/env bash
# Before `npm test`: the report's OpenMetrics file is checked with Prometheus's own promtool
# (Debian's prometheus package).
exec bash "$(dirname "$0")/ensure-debian-tool.sh" "${PROMTOOL_PATH:-/usr/bin/promtool}" prometheus PROMTOOL_PATH "the report's OpenMetrics test"
