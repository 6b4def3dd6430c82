#!/usr/bin/env bash
# The whole test suite, as the README and CI run it: setup, type-check, lint, then jest
# with the real OpenTofu, OpenStack provider and shellcheck in the loop, then the deploy
# tests on the local OpenStack (real cdktf deploy/destroy; needs root), then the
# end-to-end test (a real Spark cluster booted from the user data; needs root).
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

echo "[test] jest (unit, synth, tofu, scanners)" >&2
unit=$(mktemp)
cloud=$(mktemp)
e2e=$(mktemp)
trap 'rm -f "$unit" "$cloud" "$e2e"' EXIT
status=0
npx jest --ci --maxWorkers=2 --json --outputFile="$unit" "$@" 2>&1 || status=$?
# The deploy tests bring the local cloud up and down around themselves; they run alone.
bash scripts/cloud/run-tests.sh --json --outputFile="$cloud" 2>&1 || status=$?
# The end-to-end test boots hosts and Spark: it runs alone, after the rest has passed or not.
bash scripts/e2e/run.sh --json --outputFile="$e2e" 2>&1 || status=$?
# One closing line any CI reader understands, whatever the runner, over both runs.
# shellcheck disable=SC2016 # the single-quoted text is JavaScript, not shell
node -e '
  const fs = require("fs");
  let passed = 0, failed = 0;
  for (const file of process.argv.slice(1)) {
    const text = fs.readFileSync(file, "utf8");
    if (!text) { failed += 1; console.log(`no results in ${file}: that jest run did not finish`); continue; }
    const r = JSON.parse(text);
    passed += r.numPassedTests;
    failed += r.numFailedTests + r.numRuntimeErrorTestSuites;
  }
  console.log(`jest: ${passed} passed, ${failed} failed`);
' "$unit" "$cloud" "$e2e" || true
exit "$status"
