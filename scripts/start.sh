#!/usr/bin/env bash
# The main job (npm start). With your cloud's credentials (OS_CLOUD or OS_AUTH_URL) it plans
# the example stack against your cloud and reviews the plan; deploying stays your decision.
# Without credentials it brings up the local OpenStack (scripts/cloud/cloud.sh), fills its
# mirror with Spark, reviews the plan against it, deploys the example into it with `cdktf
# deploy`, boots the deployed servers through the cloud's metadata service (cloud.sh realize),
# waits until every worker has registered, and prints where the cluster answers.
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
echo "[start] Spark 3.5.7 into the cloud's public mirror (assembled from PyPI and Maven Central the first time)" >&2
node -r ts-node/register/transpile-only scripts/cloud/spark-mirror.ts >/dev/null
# shellcheck source=/dev/null
source "$env_file"
# A demonstration in a throwaway cloud: destroy may delete the containers with what jobs wrote.
export SPARK_FORCE_DESTROY=1
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

echo "[start] booting the deployed servers through the cloud's metadata service (cloud.sh realize)" >&2
# One line per host on stdout: name, server name, fixed IP, started or kept.
realized=$(bash scripts/cloud/cloud.sh realize)
master_ip=$(jq -r '.example.master_private_ip' "$outputs")
public_ip=$(jq -r '.example.master_public_ip // empty' "$outputs")
workers=${SPARK_WORKERS:-3}
echo "[start] waiting for $workers workers to register with the master at $master_ip" >&2
alive=0
for _ in $(seq 1 180); do
  # Until the master answers JSON, curl or jq fails: that counts as no worker yet.
  alive=$({ curl -s --max-time 5 "http://$master_ip:8080/json/" || true; } | jq -r '.aliveworkers // 0' 2>/dev/null || true)
  [[ $alive =~ ^[0-9]+$ ]] || alive=0
  if [ "$alive" -ge "$workers" ]; then break; fi
  sleep 5
done
if [ "$alive" -lt "$workers" ]; then
  echo "[start] only $alive of $workers workers registered within 15 min; see each host's cloud-init log:" >&2
  echo "  npm run cloud -- hosts list; npm run cloud -- hosts exec <host> tail /var/log/cloud-init-output.log" >&2
  exit 1
fi
master_host=$(awk -F'\t' -v ip="$master_ip" '$3 == ip { print $1 }' <<<"$realized")

cat <<EOF

The example cluster runs on the local OpenStack: $workers workers registered with the master.
Each server booted from Nova's metadata service, fetched Spark from the cloud's Swift mirror,
and reads and writes s3a:// through Swift's s3api with the EC2 credential Terraform made.
  master web UI:    http://${public_ip:-$master_ip}:8080   (floating IP; fixed IP http://$master_ip:8080)
  history server:   http://${public_ip:-$master_ip}:18080
  Prometheus:       $(jq -r '.example.prometheus_url // "(off)"' "$outputs")
  outputs:          $outputs

The live cluster (master, workers per pool, applications, alerts):
  npm run status -- example

Submit a job from the master's host (the cluster's secret and S3A settings are in its config):
  npm run cloud -- hosts exec $master_host /opt/spark/bin/spark-submit --master spark://$master_ip:7077 \
    /opt/spark/examples/src/main/python/pi.py 20

Tear it all down:
  source $env_file; source .tools/env.sh
  SPARK_FORCE_DESTROY=1 npx cdktf destroy example --auto-approve --skip-provider-lock   # containers too
  npm run cloud -- down                  # stops the hosts and the cloud; their state goes with them
EOF
