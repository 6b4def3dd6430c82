#!/usr/bin/env bash
# The main job: synthesize the example app with `cdktf synth`, then `tofu init` and
# `tofu plan` the example stack with the real OpenStack provider, printing the plan.
#
# With OS_CLOUD or OS_AUTH_URL set, the plan uses your cloud's credentials. Without them it
# plans offline: the provider gets placeholder credentials on a closed loopback port and,
# because every resource is new and nothing is read from the cloud, contacts nothing.
#
# Usage: scripts/plan-example.sh [stack]   (default: example)
set -euo pipefail
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"
stack=${1:-example}

[ -f .tools/env.sh ] || { echo "plan: the toolchain is not installed; run npm run tools (scripts/install-tools.sh)" >&2; exit 1; }
# shellcheck source=/dev/null
source .tools/env.sh

echo "[plan] cdktf synth" >&2
npx cdktf synth --output cdktf.out >/dev/null
dir=cdktf.out/stacks/$stack
[ -f "$dir/cdk.tf.json" ] || { echo "plan: no stack '$stack' in cdktf.out/stacks" >&2; exit 1; }

if [ -z "${OS_CLOUD:-}" ] && [ -z "${OS_AUTH_URL:-}" ]; then
  echo "[plan] no OS_CLOUD or OS_AUTH_URL: planning offline with placeholder credentials" >&2
  # Keep in step with OFFLINE_OPENSTACK_ENV in scripts/tofu.ts.
  export OS_AUTH_URL=http://127.0.0.1:9/v3 OS_USERNAME=offline-plan OS_PASSWORD=offline-plan \
    OS_PROJECT_NAME=offline-plan OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default OS_REGION_NAME=RegionOne
fi

echo "[plan] tofu init ($dir)" >&2
tofu -chdir="$dir" init -input=false >/dev/null
echo "[plan] tofu plan ($dir)" >&2
tofu -chdir="$dir" plan -input=false -lock=false
