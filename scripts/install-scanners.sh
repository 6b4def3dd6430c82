#!/usr/bin/env bash
# Installs the security scanner the test suite runs: checkov (PyPI), pinned in
# tool-versions.env, into a virtualenv at .tools/venv. Idempotent.
set -euo pipefail
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/tool-versions.env
source "$repo_root/scripts/tool-versions.env"
venv=${TOOLS_DIR:-$repo_root/.tools}/venv

log() { printf '[install-scanners] %s\n' "$*" >&2; }

if [ "$("$venv/bin/checkov" --version 2>/dev/null || true)" = "$CHECKOV_VERSION" ]; then
  log "checkov $CHECKOV_VERSION already installed"
  exit 0
fi
command -v python3 >/dev/null 2>&1 || { log "error: python3 is not on PATH (needed for checkov)"; exit 1; }
if [ ! -x "$venv/bin/pip" ]; then
  python3 -m venv "$venv" || { log "error: python3 -m venv failed; on Debian install python3-venv"; exit 1; }
fi
log "installing checkov $CHECKOV_VERSION from PyPI (takes a minute or two the first time)"
"$venv/bin/pip" install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION"
log "ready: checkov $("$venv/bin/checkov" --version)"
