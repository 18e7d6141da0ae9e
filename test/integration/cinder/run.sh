#!/usr/bin/env bash
# `npm run test:cinder`: a real OpenStack Cinder (Debian's cinder-api) on 127.0.0.1 with a seeded
# fleet, the Cinder test suite against it, then Cinder stopped by its process group.
set -euo pipefail
cd "$(dirname "$0")/../../.."
PY=/usr/bin/python3   # Debian's python, which has cinder's modules; not whatever is first on PATH

if [ ! -x /usr/bin/cinder-api ] || [ ! -x /usr/bin/cinder ] || [ ! -x /usr/bin/openstack ]; then
  echo "== installing cinder-api, python3-cinderclient and python3-openstackclient"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq cinder-api python3-cinderclient python3-openstackclient >/dev/null
fi

WORK=$(mktemp -d /tmp/cinder-it.XXXXXX)
PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PID=
cleanup() {
  if [ -n "$PID" ]; then kill -TERM -- "-$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

cat >"$WORK/cinder.conf" <<CONF
[DEFAULT]
auth_strategy = noauth
transport_url = fake://
state_path = $WORK
osapi_volume_listen = 127.0.0.1
osapi_volume_listen_port = $PORT
osapi_volume_workers = 1
api_paste_config = $WORK/api-paste.ini
use_stderr = true
# The seeded fleet is far past the default quotas; the suite creates a snapshot through the API.
quota_gigabytes = -1
quota_snapshots = -1
[database]
connection = sqlite:///$WORK/cinder.sqlite
[oslo_concurrency]
lock_path = $WORK/lock
CONF
# Cinder 21 has no v2 API and its root factory drops a /v2 mount, so map the v3 app at /v2 with
# Paste's plain urlmap: /v2/{project_id}/snapshots is then served by the v3 controllers.
sed -e 's#^use = call:cinder.api:root_app_factory#use = egg:Paste\#urlmap#' \
    -e 's#^/v3: openstack_volume_api_v3#/v3: openstack_volume_api_v3\n/v2: openstack_volume_api_v3#' \
    /etc/cinder/api-paste.ini >"$WORK/api-paste.ini"

/usr/bin/cinder-manage --config-file "$WORK/cinder.conf" db sync >"$WORK/db-sync.log" 2>&1
node_modules/.bin/tsx test/integration/cinder/write-fleet.ts "$WORK/fleet.json"
$PY test/integration/cinder/seed.py "$WORK/cinder.sqlite" "$WORK/fleet.json"
node_modules/.bin/tsx test/integration/cinder/write-cleanup-fleet.ts "$WORK/cleanup-fleet.json"
$PY test/integration/cinder/seed.py "$WORK/cinder.sqlite" "$WORK/cleanup-fleet.json"
node_modules/.bin/tsx test/integration/cinder/write-acceptance-fleet.ts "$WORK/acceptance-fleet.json"
$PY test/integration/cinder/seed.py "$WORK/cinder.sqlite" "$WORK/acceptance-fleet.json"
# Cinder deletes a snapshot only when its volume has a host (a volume service): give the cleanup projects' volumes one.
$PY -c 'import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for p in json.load(open(sys.argv[2]))["projects"]:
    db.execute("update volumes set host = ? where project_id = ?", ("sentinel@fake#fake", p["projectId"]))
db.commit()' "$WORK/cinder.sqlite" "$WORK/cleanup-fleet.json"

setsid /usr/bin/cinder-api --config-file "$WORK/cinder.conf" >"$WORK/cinder-api.log" 2>&1 &
PID=$!
URL="http://127.0.0.1:$PORT"
for _ in $(seq 1 120); do
  if node -e "fetch('$URL/').then(r => process.exit(r.status === 300 ? 0 : 1), () => process.exit(1))"; then break; fi
  if ! kill -0 "$PID" 2>/dev/null; then echo "cinder-api exited:"; tail -30 "$WORK/cinder-api.log"; exit 1; fi
  sleep 0.5
done
echo "== cinder-api $(dpkg-query -W -f='${Version}' cinder-api) on $URL (pid $PID)"

CINDER_URL="$URL" CINDER_FLEET="$WORK/fleet.json" CINDER_CLEANUP_FLEET="$WORK/cleanup-fleet.json" CINDER_ACCEPTANCE_FLEET="$WORK/acceptance-fleet.json" CINDER_DB="$WORK/cinder.sqlite" CINDER_LOG="$WORK/cinder-api.log" node_modules/.bin/vitest run --config test/integration/cinder/vitest.config.ts "$@" || {
  status=$?
  echo "== last lines of cinder-api's log"; tail -20 "$WORK/cinder-api.log"
  exit $status
}
