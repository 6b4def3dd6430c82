#!/usr/bin/env bash
# The end-to-end tests that need no cloud (npm run e2e): real Spark on loopback (the canary of
# test/e2e/gcm-canary.e2e.ts, and standby masters with ZooKeeper in test/e2e/zookeeper.e2e.ts).
# The cluster's own end-to-end tests boot through the local cloud (test/cloud/*.cloud.ts, npm
# run test:cloud). A signal reaches jest itself.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

jest_pid=""
on_signal() {
  [ -z "$jest_pid" ] || kill -TERM "$jest_pid" 2>/dev/null || true
  exit 143
}
trap on_signal INT TERM

echo "[e2e] jest (test/e2e): Spark on loopback" >&2
# jest itself, not npx: a signal forwarded to npx would not reach it.
node_modules/.bin/jest --ci --runInBand --config jest.e2e.config.js "$@" &
jest_pid=$!
wait "$jest_pid"
