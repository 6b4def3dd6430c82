#!/usr/bin/env bash
# The whole test suite, as the README and CI run it: setup, type-check, lint, then jest
# with the real OpenTofu, OpenStack provider and shellcheck in the loop.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
bash scripts/install-system-packages.sh
bash scripts/install-scanners.sh

echo "[test] building the package (tsc, type-checks everything)" >&2
npm run --silent build
echo "[test] linting (eslint, prettier)" >&2
npx eslint .
npx prettier --check . >/dev/null

echo "[test] jest" >&2
results=$(mktemp)
trap 'rm -f "$results"' EXIT
status=0
npx jest --ci --maxWorkers=2 --json --outputFile="$results" "$@" 2>&1 || status=$?
# A closing line any CI reader understands, whatever the runner.
# shellcheck disable=SC2016 # the single-quoted text is JavaScript, not shell
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`jest: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
' "$results" || true
exit "$status"
