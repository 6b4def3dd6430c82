#!/usr/bin/env bash
# The end-to-end test (npm run e2e): boots a Spark cluster from the example stack's user data
# in network-namespace hosts, with Swift and a local mirror, and runs Spark jobs on it. Needs
# root. Whatever happens, removes every host, link, mount and process it made.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

[ "$(id -u)" -eq 0 ] || {
  echo "[e2e] needs root (network namespaces, mounts, systemd-nspawn)" >&2
  exit 1
}
cleanup() {
  bash scripts/e2e/swift.sh stop "${E2E_CACHE:-.cache/e2e}/swift-state" >/dev/null 2>&1 || true
  bash scripts/e2e/hosts.sh down || true
}
[ "${E2E_KEEP_HOSTS:-}" = 1 ] || trap cleanup EXIT INT TERM

report=${E2E_CACHE:-.cache/e2e}/time-to-ready.json
rm -f "$report"
echo "[e2e] jest (test/e2e): hosts, Swift, Spark" >&2
npx jest --ci --runInBand --config jest.e2e.config.js "$@"
[ ! -f "$report" ] || echo "[e2e] time to ready: $(tr -d '\n ' <"$report")" >&2
