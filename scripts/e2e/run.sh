#!/usr/bin/env bash
# The end-to-end test (npm run e2e): boots a Spark cluster from the example stack's user data
# in network-namespace hosts, with Swift and a local mirror, and runs Spark jobs on it. Needs
# root. Whatever happens (short of SIGKILL), removes every host, link, mount and process it
# made, unless E2E_KEEP_HOSTS=1 asks to keep them for a look.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

[ "$(id -u)" -eq 0 ] || {
  echo "[e2e] needs root (network namespaces, mounts, systemd-nspawn)" >&2
  exit 1
}
# One run at a time: the hosts, bridge and state directory have fixed names.
exec 9>/run/spark-e2e.lock
flock --nonblock 9 || {
  echo "[e2e] another end-to-end run holds /run/spark-e2e.lock" >&2
  exit 1
}
cleanup() {
  # Stopping the hosts' namespaces ends Swift, the mirror and every host with them.
  bash scripts/e2e/hosts.sh down || true
}
jest_pid=""
on_signal() {
  [ -z "$jest_pid" ] || kill -TERM "$jest_pid" 2>/dev/null || true
  exit 143
}
[ "${E2E_KEEP_HOSTS:-}" = 1 ] || trap cleanup EXIT
trap on_signal INT TERM

report=${E2E_CACHE:-.cache/e2e}/time-to-ready.json
rm -f "$report"
echo "[e2e] jest (test/e2e): hosts, Swift, Spark" >&2
# jest itself, not npx: a signal forwarded to npx would not reach it.
node_modules/.bin/jest --ci --runInBand --config jest.e2e.config.js "$@" &
jest_pid=$!
wait "$jest_pid"
[ ! -f "$report" ] || echo "[e2e] time to ready: $(tr -d '\n ' <"$report")" >&2
