#!/usr/bin/env bash
# Installs the Debian packages the test suite runs for real: shellcheck (lints every shell
# script and user-data fragment), cloud-init (checks rendered user data against its own
# schema, and runs in the realized servers of the local cloud), systemd-analyze (scores the
# units' sandboxing offline), fdisk (sfdisk: a partition table on the local-volume test's loop
# disks), debootstrap (builds the local OpenStack's root, scripts/cloud/cloud.sh),
# systemd-nspawn (boots the cloud and each realized server), jq, e2fsprogs and losetup (the
# realized servers' state and volumes), a JRE for Spark, openssl, curl and iproute2; and the
# monitoring's packages: Prometheus (its promtool checks the rendered configs and unit-tests the
# alert rules) and the node exporter, which the realized servers, booted from this machine's
# root and reaching no mirror, find installed as a cloud image's apt would install them. The
# cloud's own services come from its own root, not from here. Idempotent; needs root (or sudo)
# only when one is missing.
set -euo pipefail

# command -> Debian package
declare -A wanted=(
  [shellcheck]=shellcheck
  [cloud-init]=cloud-init
  [systemd-analyze]=systemd
  [sfdisk]=fdisk
  [systemd-nspawn]=systemd-container
  [debootstrap]=debootstrap
  [java]=openjdk-17-jre-headless
  [curl]=curl
  [openssl]=openssl
  [ip]=iproute2
  [python3]=python3
  [jq]=jq
  [mkfs.ext4]=e2fsprogs
  [losetup]=mount
  [promtool]=prometheus
  [prometheus-node-exporter]=prometheus-node-exporter
)

missing=()
for cmd in "${!wanted[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${wanted[$cmd]}")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "[system-packages] present: ${!wanted[*]}" >&2
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "[system-packages] error: need root to install ${missing[*]} (apt-get install ${missing[*]})" >&2
  exit 1
fi
command -v apt-get >/dev/null 2>&1 || {
  echo "[system-packages] error: apt-get not found; install ${missing[*]} with your package manager" >&2
  exit 1
}

echo "[system-packages] installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Installed for promtool, not to run here: without this, every end-to-end host would boot a
# Prometheus with Debian's default config (the cluster's master enables its own).
if [[ " ${missing[*]} " == *" prometheus "* ]]; then
  "${sudo[@]}" systemctl disable prometheus.service >/dev/null 2>&1 || true
fi
