#!/usr/bin/env bash
# The deploy tests (npm run test:cloud): brings up the local cloud (scripts/cloud/cloud.sh),
# runs test/cloud/*.cloud.ts against it with real `cdktf deploy` and `cdktf destroy`, and
# takes the cloud down again, also when the tests fail or the run is interrupted (set
# CLOUD_KEEP=1 to keep it up for a look). Needs root.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

[ "$(id -u)" -eq 0 ] || {
  echo "[cloud-tests] needs root (the local cloud runs in a network namespace with systemd-nspawn)" >&2
  exit 1
}
jest_pid=""
cleanup() {
  [ "${CLOUD_KEEP:-}" = 1 ] || bash scripts/cloud/cloud.sh down || true
}
on_signal() {
  [ -z "$jest_pid" ] || kill -TERM "$jest_pid" 2>/dev/null || true
  exit 143
}
trap cleanup EXIT
trap on_signal INT TERM

# A cloud that is running belongs to someone (npm start, a look after CLOUD_KEEP=1): the tests
# would throw it and its deployments away. What a crashed run left is cleaned up silently.
if bash scripts/cloud/cloud.sh status >/dev/null 2>&1 && [ "${SPARK_CLOUD_TESTS_REPLACE:-}" != 1 ]; then
  echo "[cloud-tests] the local cloud is running: take it down (npm run cloud -- down) or set SPARK_CLOUD_TESTS_REPLACE=1" >&2
  trap - EXIT
  exit 1
fi
bash scripts/cloud/cloud.sh down
bash scripts/cloud/cloud.sh up >/dev/null
echo "[cloud-tests] jest (test/cloud): deploy, change and destroy on the local cloud" >&2
node_modules/.bin/jest --ci --runInBand --config jest.cloud.config.js "$@" &
jest_pid=$!
wait "$jest_pid"
