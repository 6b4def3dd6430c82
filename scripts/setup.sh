#!/usr/bin/env bash
# Sets up a fresh clone: npm dependencies (skipped when package-lock.json is unchanged since
# the last install) and the OpenTofu + OpenStack provider toolchain (scripts/install-tools.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

command -v node >/dev/null 2>&1 || { echo "setup: Node.js 20+ is required (node is not on PATH)" >&2; exit 1; }
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || { echo "setup: Node.js 20+ is required, found $(node --version)" >&2; exit 1; }

stamp=node_modules/.setup-stamp
want=$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "[setup] installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund
  echo "$want" >"$stamp"
else
  echo "[setup] npm dependencies are up to date" >&2
fi

bash scripts/install-tools.sh
