#!/usr/bin/env bash
# The main job (npm start). With your cloud's credentials (OS_CLOUD or OS_AUTH_URL) it plans
# the example stack against your cloud and reviews the plan; deploying stays your decision.
# Without credentials it brings up the local OpenStack (scripts/cloud/cloud.sh), reviews the
# plan against it, deploys the example into it with `cdktf deploy`, and prints the outputs.
# Where the local cloud cannot run (not root, no systemd-nspawn), it plans offline and says why.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh

if [ -n "${OS_CLOUD:-}${OS_AUTH_URL:-}" ]; then
  echo "[start] cloud credentials found (OS_CLOUD/OS_AUTH_URL): reviewing the example's plan against your cloud" >&2
  npm run --silent plan -- example --show
  echo "[start] to deploy it: npx cdktf deploy example" >&2
  exit 0
fi

why=""
if [ "$(id -u)" -ne 0 ]; then
  why="it needs root (network namespaces, overlay mounts, systemd-nspawn)"
elif ! command -v apt-get >/dev/null 2>&1 && ! command -v systemd-nspawn >/dev/null 2>&1; then
  why="systemd-nspawn is missing and there is no apt-get to install it"
fi
if [ -n "$why" ]; then
  echo "[start] no cloud credentials, and the local cloud cannot run here: $why." >&2
  echo "[start] planning the example offline instead (set OS_CLOUD or OS_AUTH_URL to plan against your cloud)" >&2
  exec npm run --silent plan -- example --show
fi

echo "[start] no cloud credentials: bringing up the local OpenStack (the first time builds it: ~10 min)" >&2
if ! bash scripts/install-system-packages.sh || ! env_file=$(bash scripts/cloud/cloud.sh up); then
  echo "[start] the local cloud did not come up (its error is above; service logs in /run/spcloud/logs)." >&2
  echo "[start] planning the example offline instead" >&2
  exec npm run --silent plan -- example --show
fi
# shellcheck source=/dev/null
source "$env_file"
# The project's tofu and provider mirror for cdktf (install-tools.sh wrote it; no registry here).
# shellcheck source=/dev/null
source .tools/env.sh

echo "[start] the plan, reviewed, against the local cloud" >&2
npm run --silent plan -- example
echo "[start] cdktf deploy example" >&2
outputs=cdktf.out/example-outputs.json
# The provider comes from the project's local mirror, not a registry: no lock for other platforms.
# The plan above synthesized cdktf.out with these same settings: no second synth.
npx cdktf deploy example --auto-approve --skip-synth --skip-provider-lock --outputs-file "$outputs"

cat <<EOF

The example cluster is deployed on the local OpenStack (Nova's fake driver: the servers are
real API objects that run nothing). Its outputs are in $outputs.
  source $env_file                # OS_CLOUD=spark and the example's settings
  source .tools/env.sh                   # tofu and the provider mirror for cdktf
  npm run cloud -- inventory             # what the cloud now holds, through its APIs
  npm run cloud -- exec openstack --os-cloud spark server list
  npx cdktf destroy example --auto-approve --skip-provider-lock
  npm run cloud -- down                  # stops the cloud; its state goes with it
EOF
