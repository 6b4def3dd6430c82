#!/usr/bin/env bash
# A real OpenStack on this machine (npm run cloud -- up | down | status | env): Debian 12's
# OpenStack Zed packages (Keystone, Glance, Placement, Nova with the fake virt driver,
# Neutron ML2/linuxbridge, Cinder with a bookkeeping-only backend, Swift with s3api and
# s3token) in one systemd-nspawn machine, booted with systemd as PID 1 in its own network
# namespace. Servers go ACTIVE without running anything: the fake driver stands in for the
# hypervisor, and nothing else is faked.
#
# The machine's root is three overlay layers, each cached and rebuilt only when its inputs
# (this script's build functions, the package list, configure.sh, operator.py) change:
#   base        debootstrap bookworm + the OpenStack packages           (~2-7 min)
#   configured  configs, migrated databases, catalog, operator setup    (~5 min)
#   run         what one `up` writes; thrown away by the next `up`
# so a warm `up` boots a freshly configured cloud in well under a minute.
#
#   cloud.sh up       build what is missing, boot, wait until every API answers and every
#                     compute host is up; writes clouds.yaml and an OS_* env file
#   cloud.sh down     stop the machine and remove its namespace, links, mounts and run
#                     layer (also after a crash or an interrupted up)
#   cloud.sh status   which services answer; exit 1 when the cloud is not up
#   cloud.sh env      print the path of the env file (source it for OS_* and SPARK_*)
#   cloud.sh inventory [project]
#                     everything the project (default: spark) holds, as the APIs report it (JSON)
#   cloud.sh exec <command>...
#                     run a command inside the cloud's machine (openstack CLI, logs)
#   cloud.sh mirror <dir>
#                     upload <dir>, laid out like the Apache archive (scripts/e2e/spark-dist.sh
#                     makes one), to the operator's public-read container `mirror`
#   cloud.sh realize  make every ACTIVE server a running host that boots from Nova's metadata
#                     (scripts/cloud/realize.ts, hosts.sh), power hosts off, on or through a
#                     reboot as Nova says, and remove hosts of deleted servers
#   cloud.sh hosts <hosts.sh arguments>
#                     the realized hosts: list, exec <host> <command>..., root <host>,
#                     stop|start|reboot|state <host>
#   cloud.sh hypervisor
#                     what realize reads: servers with status, ports, flavors, volumes and
#                     instance actions (JSON)
#
# Environment: SPARK_CLOUD_CACHE (default /var/cache/cdktf-spark-openstack/cloud) holds the
# layers; SPARK_CLOUD_TIMEOUT (default 900) bounds each wait in seconds.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/cloud/nspawn.sh
source "$HERE/nspawn.sh"
CACHE=${SPARK_CLOUD_CACHE:-/var/cache/cdktf-spark-openstack/cloud}
RUN=/run/spcloud
NAME=spcloud
NETNS=spcloud
HOST_LINK=spcloud0
HOST_IP=10.254.0.1
CLOUD_IP=10.254.0.2
PREFIX=24
COMPUTE_HOSTS=3
# The external network's subnet (operator.py). While the cloud runs it is routed into the
# cloud's namespace, where a floating IP bound to a realized server's port is forwarded to its
# fixed IP (the chain SPCLOUD-FIP, filled by realize) and everything else is dropped: traffic to
# it never leaves this machine.
FLOATING_RANGE=172.24.4.0/24
# Where the servers' cloud-init looks for Nova's metadata API, forwarded to it in the cloud.
METADATA_IP=169.254.169.254
TIMEOUT=${SPARK_CLOUD_TIMEOUT:-900}
SUITE=bookworm
MIRROR=http://deb.debian.org/debian
PACKAGES=(mariadb-server python3-pymysql rabbitmq-server memcached python3-memcache
  keystone glance-api placement-api nova-api nova-conductor nova-scheduler nova-compute
  nova-compute-ironic neutron-api neutron-rpc-server neutron-linuxbridge-agent
  cinder-api cinder-scheduler cinder-volume swift swift-proxy swift-account swift-container
  swift-object python3-keystonemiddleware python3-openstackclient crudini iptables sudo)
# Units a package enables that must not start before configure.sh has configured them.
OPENSTACK_UNITS=(keystone glance-api placement-api nova-api nova-api-metadata nova-conductor
  nova-scheduler nova-compute neutron-api neutron-rpc-server neutron-linuxbridge-agent
  cinder-api cinder-scheduler cinder-volume swift-proxy swift-account swift-container swift-object)
# Swift's background daemons (replication, auditing...) have nothing to do on one device.
IDLE_UNITS=(apt-daily.timer apt-daily-upgrade.timer man-db.timer e2scrub_all.timer
  dpkg-db-backup.timer fstrim.timer systemd-networkd.service systemd-resolved.service)

log() { printf '[cloud] %s\n' "$*" >&2; }
die() {
  printf '[cloud] error: %s\n' "$*" >&2
  exit 1
}

need_root() {
  [ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, overlay mounts, systemd-nspawn)"
  local cmd
  for cmd in systemd-nspawn debootstrap nsenter curl; do
    command -v "$cmd" >/dev/null || die "$cmd is missing: run scripts/install-system-packages.sh"
  done
}

# --- the base layer: Debian and the packages ------------------------------------------------
build_base() { # <dir>
  local dir=$1 root=$1/root unit
  rm -rf "$dir"
  mkdir -p "$dir" "$CACHE/apt-archives"
  log "base layer: debootstrap $SUITE"
  debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,iproute2,curl,ca-certificates \
    "$SUITE" "$root" "$MIRROR" >"$dir/debootstrap.log" 2>&1 || {
    tail -n 30 "$dir/debootstrap.log" >&2
    die "debootstrap failed (log: $dir/debootstrap.log)"
  }
  printf 'deb %s %s main\ndeb %s %s-updates main\ndeb http://deb.debian.org/debian-security %s-security main\n' \
    "$MIRROR" "$SUITE" "$MIRROR" "$SUITE" "$SUITE" >"$root/etc/apt/sources.list"
  # Packages must not start services while they install.
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod +x "$root/usr/sbin/policy-rc.d"
  log "base layer: installing ${#PACKAGES[@]} packages (several minutes when the apt cache is cold)"
  systemd-nspawn --quiet --directory="$root" --register=no --keep-unit \
    --bind="$CACHE/apt-archives:/var/cache/apt/archives" \
    --setenv=DEBIAN_FRONTEND=noninteractive \
    sh -c "apt-get update -qq && apt-get install -y -q --no-install-recommends ${PACKAGES[*]} && apt-get clean" \
    >"$dir/install.log" 2>&1 || {
    tail -n 30 "$dir/install.log" >&2
    die "package installation failed (log: $dir/install.log)"
  }
  rm -f "$root/usr/sbin/policy-rc.d"
  for unit in "${OPENSTACK_UNITS[@]}"; do
    systemd-nspawn --quiet --directory="$root" --register=no --keep-unit systemctl disable "$unit" >/dev/null 2>&1 || true
  done
  for unit in "${IDLE_UNITS[@]}" $(cd "$root/lib/systemd/system" && ls swift-*-{auditor,replicator,updater,reaper,sharder,reconstructor,sync,reconciler}*.service 2>/dev/null); do
    ln -sf /dev/null "$root/etc/systemd/system/$unit"
  done
  printf '127.0.0.1 localhost %s\n' "$NAME" >"$root/etc/hosts"
  echo "$NAME" >"$root/etc/hostname"
  : >"$root/etc/machine-id"
  touch "$dir/complete"
}

# --- the configured layer: configure.sh and operator.py on a first boot -----------------------
build_configured() { # <dir> <base-root>
  local dir=$1 base=$2
  rm -rf "$dir"
  mkdir -p "$dir/upper/usr/local/sbin" "$dir/work" "$dir/root"
  install -m 0755 "$HERE/configure.sh" "$dir/upper/usr/local/sbin/spcloud-configure.sh"
  install -m 0755 "$HERE/operator.py" "$dir/upper/usr/local/sbin/spcloud-operator.py"
  mount -t overlay "$NAME-configure" -o "lowerdir=$base,upperdir=$dir/upper,workdir=$dir/work" "$dir/root"
  log "configured layer: first boot, configuration, database migrations, operator setup (~5 min)"
  boot_machine "$dir/root"
  local status=0
  timeout "$TIMEOUT" "$0" exec /usr/local/sbin/spcloud-configure.sh "$CLOUD_IP" "$COMPUTE_HOSTS" \
    >"$dir/configure.log" 2>&1 || status=$?
  if [ "$status" -ne 0 ]; then
    tail -n 40 "$dir/configure.log" >&2
    collect_logs "$dir/root"
    stop_machine
    umount "$dir/root"
    die "configuring the cloud failed (exit $status; log: $dir/configure.log, service logs: $RUN/logs)"
  fi
  stop_machine
  umount "$dir/root"
  rm -rf "$dir/work" "$dir/root"
  touch "$dir/complete"
}

layer_hashes() {
  BASE_HASH=$({
    declare -f build_base
    printf '%s\n' "$SUITE" "$MIRROR" "${PACKAGES[@]}" "${OPENSTACK_UNITS[@]}" "${IDLE_UNITS[@]}"
  } | sha256sum | cut -c1-16)
  CONFIGURED_HASH=$({
    echo "$BASE_HASH" "$CLOUD_IP" "$COMPUTE_HOSTS"
    declare -f build_configured
    cat "$HERE/configure.sh" "$HERE/operator.py"
  } | sha256sum | cut -c1-16)
}

# --- the machine ---------------------------------------------------------------------------
net_up() {
  ip netns add "$NETNS"
  ip link add "$HOST_LINK" type veth peer name eth0 netns "$NETNS"
  ip addr add "$HOST_IP/$PREFIX" dev "$HOST_LINK"
  ip link set "$HOST_LINK" up
  ip -n "$NETNS" link set lo up
  ip -n "$NETNS" addr add "$CLOUD_IP/$PREFIX" dev eth0
  ip -n "$NETNS" link set eth0 up
  ip route replace "$FLOATING_RANGE" via "$CLOUD_IP"
  # Realized servers' networks are bridges in the namespace: it routes between them and here,
  # and has no default route, so nothing they send goes further than this machine.
  ip netns exec "$NETNS" sysctl -q -w net.ipv4.ip_forward=1
  # The physical networks Neutron's agents map: the tenant VLAN physnet and the external one.
  # With the fake driver nothing is plugged into them.
  local net
  for net in physnet1 extnet; do
    ip -n "$NETNS" link add "$net" type veth peer name "$net-peer"
    ip -n "$NETNS" link set "$net" up
    ip -n "$NETNS" link set "$net-peer" up
  done
}

boot_machine() { # <root>
  mkdir -p "$RUN"
  [ -e "/run/netns/$NETNS" ] || net_up
  # product_name makes cloud-init-style detection and the services see an OpenStack machine;
  # CAP_NET_ADMIN lets Neutron's privsep manage bridges inside the namespace.
  setsid systemd-nspawn --quiet --directory="$1" --machine="$NAME" --register=no --keep-unit \
    --network-namespace-path="/run/netns/$NETNS" --capability=CAP_NET_ADMIN \
    --console=read-only --link-journal=no --resolv-conf=off --boot \
    >"$RUN/console.log" 2>&1 </dev/null 8>&- &
  echo $! >"$RUN/nspawn.pid"
  local waited=0
  until [ "$("$0" exec systemctl is-system-running 2>/dev/null || true)" = running ] ||
    [ "$("$0" exec systemctl is-system-running 2>/dev/null || true)" = degraded ]; do
    sleep 1
    waited=$((waited + 1))
    nspawn_pid >/dev/null || {
      tail -n 20 "$RUN/console.log" >&2
      die "the machine exited while booting (console: $RUN/console.log)"
    }
    [ "$waited" -lt 120 ] || die "the machine did not finish booting in 120 s (console: $RUN/console.log)"
  done
}

nspawn_pid() { nspawn_running "$RUN/nspawn.pid"; }

exec_in() {
  local pid
  pid=$(nspawn_pid) || die "the cloud is not running (npm run cloud -- up)"
  nspawn_exec "$(nspawn_init "$pid" "the cloud's machine")" "$@"
}

stop_machine() {
  local pid waited=0
  if pid=$(nspawn_pid); then
    kill -TERM "$pid" 2>/dev/null || true # systemd powers off cleanly: MariaDB flushes
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 60 ]; do
      sleep 1
      waited=$((waited + 1))
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$RUN/nspawn.pid"
  if [ -e "/run/netns/$NETNS" ]; then
    ip netns pids "$NETNS" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
    ip netns del "$NETNS" 2>/dev/null || true
  fi
  ip link del "$HOST_LINK" 2>/dev/null || true
  ip route del "$FLOATING_RANGE" 2>/dev/null || true
}

collect_logs() { # <root>
  mkdir -p "$RUN/logs"
  cp -r "$1"/var/log/{keystone,glance,placement,nova,neutron,cinder,swift,rabbitmq,mysql} "$RUN/logs/" 2>/dev/null || true
  log "service logs copied to $RUN/logs"
}

# --- TLS and the data plane ------------------------------------------------------------------
# A CA of this run signs the certificate of Swift's TLS listener (S3 clients); servers trust it
# through the stack's trustedCaCertificates (SPARK_CA_CERT_FILE in the env file).
make_tls() {
  local tls=$RUN/tls swift_ids
  rm -rf "$tls"
  mkdir -p "$tls"
  bash "$HERE/../e2e/test-ca.sh" "$tls" "object=IP:$CLOUD_IP" >/dev/null
  chmod 0755 "$tls"
  chmod 0644 "$tls/ca.pem"
  mkdir -p "$RUN/root/etc/swift/tls"
  install -m 0644 "$tls/object.pem" "$RUN/root/etc/swift/tls/server.pem"
  install -m 0600 "$tls/object.key" "$RUN/root/etc/swift/tls/server.key"
  swift_ids=$(awk -F: '$1 == "swift" { print $3 ":" $4 }' "$RUN/root/etc/passwd")
  [ -n "$swift_ids" ] || die "no swift user in the cloud's root"
  chown -R "$swift_ids" "$RUN/root/etc/swift/tls"
  rm -f "$tls/object.key"
}

# What Neutron's metadata proxy and L3 agent would do for realized servers: 169.254.169.254:80
# goes to nova-api-metadata, which finds the server by the caller's fixed IP; floating IPs are
# forwarded to fixed IPs by the chain SPCLOUD-FIP (realize fills it).
data_plane() {
  "$0" exec iptables -t nat -N SPCLOUD-FIP
  "$0" exec iptables -t nat -A PREROUTING -j SPCLOUD-FIP
  "$0" exec iptables -t nat -A PREROUTING -d "$METADATA_IP/32" -p tcp --dport 80 \
    -j DNAT --to-destination "$CLOUD_IP:8775"
}

# --- health --------------------------------------------------------------------------------
# name port path: an unauthenticated request each API answers once it is up.
HEALTH=(
  "keystone 5000 /v3"
  "glance 9292 /versions"
  "placement 8778 /"
  "nova 8774 /"
  "nova-metadata 8775 /"
  "neutron 9696 /"
  "cinder 8776 /"
  "swift 8080 /healthcheck"
  "swift-tls 8443 /healthcheck"
)

check_apis() { # prints one line per API; returns 1 when one does not answer
  local entry name port path code ok=0
  for entry in "${HEALTH[@]}"; do
    read -r name port path <<<"$entry"
    if [ "$name" = swift-tls ]; then
      code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$RUN/tls/ca.pem" "https://$CLOUD_IP:$port$path" || true)
    else
      code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://$CLOUD_IP:$port$path" || true)
    fi
    if [ "${code:-000}" = 000 ] || [ "${code:0:1}" = 5 ]; then
      printf '  %-14s %s:%s  down (%s)\n' "$name" "$CLOUD_IP" "$port" "${code:-000}"
      ok=1
    else
      printf '  %-14s %s:%s  up\n' "$name" "$CLOUD_IP" "$port"
    fi
  done
  return "$ok"
}

wait_healthy() {
  local started=$SECONDS
  until check_apis >/dev/null; do
    nspawn_pid >/dev/null || die "the machine stopped while its services were starting (console: $RUN/console.log)"
    if [ $((SECONDS - started)) -ge "$TIMEOUT" ]; then
      check_apis >&2 || true
      collect_logs "$RUN/root"
      die "the APIs did not all answer within $TIMEOUT s"
    fi
    sleep 2
  done
  # Compute services and their agents report over RabbitMQ a little after the APIs answer.
  timeout "$TIMEOUT" "$0" exec python3 /usr/local/sbin/spcloud-operator.py "$CLOUD_IP" spcloud-local "$COMPUTE_HOSTS" check >&2 || {
    collect_logs "$RUN/root"
    die "the compute hosts did not come up within $TIMEOUT s"
  }
}

write_credentials() {
  local ext project mirror
  # Admin password, the deploying user's, and (in state/) the stacks' secrets: root only.
  umask 077
  rm -f "$RUN/clouds.yaml" "$RUN/env"
  ext=$(jq -r .external_network_id "$RUN/root/etc/spcloud/operator.json")
  project=$(jq -r .project_id "$RUN/root/etc/spcloud/operator.json")
  mirror=$(jq -r .mirror_url "$RUN/root/etc/spcloud/operator.json")
  cat >"$RUN/clouds.yaml" <<EOF
# The local cloud (scripts/cloud/cloud.sh). spark: the non-admin user that deploys clusters;
# spark-admin: the operator, for checks the deploying user may not make.
clouds:
  spark:
    auth:
      auth_url: http://$CLOUD_IP:5000/v3
      username: spark
      password: spcloud-local
      project_name: spark
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    interface: public
    identity_api_version: 3
  spark-admin:
    auth:
      auth_url: http://$CLOUD_IP:5000/v3
      username: admin
      password: spcloud-local
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    interface: public
    identity_api_version: 3
EOF
  cat >"$RUN/env" <<EOF
# source me: the deploying user of the local cloud, and the example stack's settings for it
export OS_CLIENT_CONFIG_FILE=$RUN/clouds.yaml
export OS_CLOUD=spark
export SPARK_EXTERNAL_NETWORK=public
export SPARK_EXTERNAL_NETWORK_ID=$ext
export SPARK_IMAGE=debian-12
# SSH and the web UIs from this machine (the address it has on the cloud's link).
export SPARK_ADMIN_CIDR=$HOST_IP/32
# Swift's s3api over TLS (the AWS SDK's aws-chunked uploads need it), and the CA it is signed by.
export SPARK_S3_ENDPOINT=https://$CLOUD_IP:8443
export SPARK_CA_CERT_FILE=$RUN/tls/ca.pem
# The operator's public mirror (cloud.sh mirror fills it; mirror.env names the tarball's SHA-512).
export SPARK_MIRROR_URL=$mirror
export SPARK_MAVEN_REPOSITORY_URL=$mirror/maven
[ ! -f $RUN/mirror.env ] || . $RUN/mirror.env
export SPARK_LOCAL_CLOUD_PROJECT_ID=$project
# Terraform state of stacks deployed here lives and dies with this run of the cloud.
export SPARK_STATE_DIR=$RUN/state
EOF
  mkdir -p "$RUN/state" "$RUN/root/etc/openstack"
  # The same clouds inside the machine: `cloud.sh exec openstack --os-cloud spark ...`.
  cp "$RUN/clouds.yaml" "$RUN/root/etc/openstack/clouds.yaml"
}

take_lock() {
  exec 8>/run/spcloud.lock
  flock --wait 1800 8 || die "another cloud.sh up or down holds /run/spcloud.lock"
}

up() {
  need_root
  take_lock
  if nspawn_pid >/dev/null && check_apis >/dev/null; then
    log "already up"
    write_credentials
    echo "$RUN/env"
    return 0
  fi
  # Hosts left by a cloud that crashed would outlive its namespace and the run layer.
  bash "$HERE/hosts.sh" down || true
  stop_machine
  unmount_run
  # A failed or interrupted up leaves nothing running: no machine, namespace or mount.
  trap 'stop_machine; unmount_run' EXIT
  trap 'exit 130' INT TERM
  local started=$SECONDS
  layer_hashes
  local base=$CACHE/base-$BASE_HASH configured=$CACHE/configured-$CONFIGURED_HASH
  [ -f "$base/complete" ] || build_base "$base"
  [ -f "$configured/complete" ] || build_configured "$configured" "$base/root"
  # Old layers of earlier inputs only take disk space.
  find "$CACHE" -maxdepth 1 \( -name 'base-*' ! -name "base-$BASE_HASH" -o -name 'configured-*' ! -name "configured-$CONFIGURED_HASH" \) \
    -exec rm -rf {} + 2>/dev/null || true
  rm -rf "$CACHE/run"
  mkdir -p "$CACHE/run/upper" "$CACHE/run/work" "$RUN/root"
  mount -t overlay "$NAME" -o "lowerdir=$configured/upper:$base/root,upperdir=$CACHE/run/upper,workdir=$CACHE/run/work" "$RUN/root"
  make_tls
  log "booting"
  boot_machine "$RUN/root"
  wait_healthy
  data_plane
  write_credentials
  trap - EXIT INT TERM
  log "up in $((SECONDS - started)) s; source $RUN/env (OS_CLOUD=spark, clouds.yaml: $RUN/clouds.yaml)"
  echo "$RUN/env"
}

unmount_run() {
  if mountpoint -q "$RUN/root" 2>/dev/null; then umount "$RUN/root" || umount --lazy "$RUN/root"; fi
  local dir
  for dir in "$CACHE"/configured-*/root; do
    if mountpoint -q "$dir" 2>/dev/null; then umount --lazy "$dir"; fi
  done
}

down() {
  need_root
  take_lock
  bash "$HERE/hosts.sh" down
  stop_machine
  unmount_run
  # The run layer (databases, Swift objects of this run) goes too; logs of a failure stay.
  rm -rf "$CACHE/run" "$RUN/env" "$RUN/clouds.yaml" "$RUN/state" "$RUN/tls" "$RUN/mirror.env"
  log "down"
}

# Uploads a directory laid out like the Apache archive to the operator's public container, as
# the operator, and records the Spark tarball's SHA-512 (its .sha512 file) for the env file.
mirror() {
  local dir=$1 url token file rel sums
  [ -d "$dir" ] || die "mirror: no directory $dir"
  [ -f "$RUN/env" ] || die "the cloud is not up (npm run cloud -- up)"
  url=$(jq -r .mirror_url "$RUN/root/etc/spcloud/operator.json")
  token=$("$0" exec openstack --os-cloud spark-admin token issue -f value -c id)
  while IFS= read -r -d '' file; do
    rel=${file#"$dir"/}
    # Unchanged objects (same MD5 as Swift's ETag) are not sent again.
    if [ "$(curl -s -I -o /dev/null -w '%header{etag}' "$url/$rel" | tr -d '"' || true)" = "$(md5sum "$file" | cut -d' ' -f1)" ]; then
      continue
    fi
    curl --fail --silent --show-error -T "$file" -H "X-Auth-Token: $token" "$url/$rel" ||
      die "mirror: uploading $rel failed"
  done < <(find "$dir" -type f ! -name '*.part' -print0)
  sums=$(find "$dir" -name '*.tgz.sha512' | head -n 1)
  umask 077
  if [ -n "$sums" ]; then
    printf '# the tarball cloud.sh mirror uploaded (%s)\nexport SPARK_TARBALL_SHA512=%s\n' \
      "${sums#"$dir"/}" "$(awk '{ print $1 }' "$sums")" >"$RUN/mirror.env"
  fi
  log "mirror: $url"
  echo "$url"
}

status() {
  if ! nspawn_pid >/dev/null; then
    echo "local cloud: not running (npm run cloud -- up)"
    return 1
  fi
  echo "local cloud: machine running (pid $(nspawn_pid)), APIs:"
  check_apis || return 1
  [ -f "$RUN/env" ] && echo "env: $RUN/env"
}

case ${1:-} in
  up) up ;;
  down) down ;;
  status) status ;;
  env)
    [ -f "$RUN/env" ] || die "the cloud is not up (npm run cloud -- up)"
    echo "$RUN/env"
    ;;
  inventory) exec_in python3 - "${2:-spark}" <"$HERE/inventory.py" ;;
  hypervisor) exec_in python3 - <"$HERE/hypervisor.py" ;;
  mirror) mirror "${2:?usage: cloud.sh mirror <dir>}" ;;
  realize)
    need_root
    cd "$HERE/../.."
    exec node -r ts-node/register/transpile-only scripts/cloud/realize.ts
    ;;
  hosts)
    shift
    exec bash "$HERE/hosts.sh" "$@"
    ;;
  exec)
    shift
    exec_in "$@"
    ;;
  *) die "usage: cloud.sh up | down | status | env | inventory [project] | exec <command>... | mirror <dir> | realize | hosts ... | hypervisor" ;;
esac
