#!/usr/bin/env bash
# Test hosts for the end-to-end test: each host is a network namespace on a private bridge,
# booted by systemd-nspawn as a real systemd machine whose root is an overlay of this
# machine's root with a private, writable tmpfs layer on top, so hosts share nothing they
# write. cloud-init runs in each host at boot from a NoCloud seed, as it would from Nova's
# metadata. Everything this script makes carries the prefix "spe2e" and `down` removes all
# of it, so a failed or interrupted run leaves nothing behind. Hosts reach the subnet and
# nothing else: no default route, no DNS server.
#
#   hosts.sh net-up <gateway-ip>/<prefix>            bridge spe2e0 with the subnet's gateway, and
#                                                    the state directory (a tmpfs: seeds, keys)
#   hosts.sh add <name> <ip>/<prefix>                network namespace spe2e-<name> on the bridge
#   hosts.sh boot <name> <user-data> <meta-data> [<hardware.env>]
#                                                    boots the host; its root is $(hosts.sh root <name>);
#                                                    hardware.env says what vCPUs and RAM it stands for
#   hosts.sh root <name>                             the host's root directory, as seen from here
#   hosts.sh exec <name> <command>...                runs a command inside the booted host
#   hosts.sh down                                    stops and removes every host, mount and link
set -euo pipefail

STATE=${E2E_STATE_DIR:-/run/spark-e2e}
BRIDGE=spe2e0
# Units of this machine's own services (and of the test's Swift) that a cloud server would not run.
IDLE_UNITS=(postgresql.service postgresql@.service apt-daily.timer apt-daily-upgrade.timer
  man-db.timer e2scrub_all.timer dpkg-db-backup.timer fstrim.timer memcached.service)

die() {
  echo "hosts.sh: $*" >&2
  exit 1
}

need_state() {
  mkdir -p "$STATE"
  mountpoint -q "$STATE" || mount -t tmpfs -o size=12g,mode=0700 spe2e "$STATE"
}

net_up() {
  need_state
  ip link show "$BRIDGE" >/dev/null 2>&1 && return 0
  ip link add "$BRIDGE" type bridge
  ip addr add "$1" dev "$BRIDGE"
  ip link set "$BRIDGE" up
}

add_host() {
  local name=$1 address=$2 ns=spe2e-$1 link=spe2e-$1
  [ "${#link}" -le 15 ] || die "host name $name is too long for a link name"
  ip netns add "$ns"
  ip link add "$link" type veth peer name eth0 netns "$ns"
  ip link set "$link" master "$BRIDGE" up
  ip -n "$ns" link set lo up
  ip -n "$ns" addr add "$address" dev eth0
  ip -n "$ns" link set eth0 up
}

root_of() { printf '%s/hosts/%s/root\n' "$STATE" "$1"; }

# Files a cloud image would carry and the NoCloud seed standing in for Nova's metadata.
seed_host() {
  local upper=$1 user_data=$2 meta_data=$3 hardware=${4:-} unit
  mkdir -p "$upper/var/lib/cloud/seed/nocloud" "$upper/etc/cloud/cloud.cfg.d" "$upper/etc/systemd/system"
  install -m 0600 "$user_data" "$upper/var/lib/cloud/seed/nocloud/user-data"
  install -m 0600 "$meta_data" "$upper/var/lib/cloud/seed/nocloud/meta-data"
  # Hosts share this machine's CPUs and RAM; the file tells the worker sizing which flavor
  # the host stands for, as a server's own kernel would (lib/assets/worker-sizing.sh).
  if [ -n "$hardware" ]; then
    mkdir -p "$upper/etc/spark-bootstrap"
    install -m 0644 "$hardware" "$upper/etc/spark-bootstrap/node-hardware.env"
  fi
  # Neutron configures the network; here the test did, from outside the host.
  printf 'datasource_list: [NoCloud]\nnetwork: {config: disabled}\nlocale: C.UTF-8\n' >"$upper/etc/cloud/cloud.cfg.d/99-e2e-host.cfg"
  : >"$upper/etc/machine-id" # a fresh identity per boot, as a new server has
  echo "# no DNS server on the test subnet" >"$upper/etc/resolv.conf"
  for unit in "${IDLE_UNITS[@]}" /lib/systemd/system/swift*.service; do
    ln -sf /dev/null "$upper/etc/systemd/system/${unit##*/}"
  done
}

boot_host() {
  local name=$1 dir
  dir=$STATE/hosts/$name
  [ -e "/run/netns/spe2e-$name" ] || die "no network namespace for $name: run 'add' first"
  need_state
  mkdir -p "$dir/upper" "$dir/work" "$dir/root"
  seed_host "$dir/upper" "$2" "$3" "${4:-}"
  mount -t overlay "spe2e-$name" -o "lowerdir=/,upperdir=$dir/upper,workdir=$dir/work" "$dir/root"
  date +%s.%N >"$dir/booted-at"
  setsid systemd-nspawn --quiet --directory="$dir/root" --machine="$name" --register=no --keep-unit \
    --network-namespace-path="/run/netns/spe2e-$name" --console=read-only --link-journal=no --resolv-conf=off \
    --boot >"$dir/console.log" 2>&1 </dev/null &
  echo $! >"$dir/nspawn.pid"
}

# The host's PID 1, once systemd-nspawn has started it.
leader_of() {
  local pid_file=$STATE/hosts/$1/nspawn.pid leader="" tries=0
  [ -f "$pid_file" ] || die "host $1 was not booted"
  while [ -z "$leader" ] && [ "$tries" -lt 100 ]; do
    leader=$(pgrep -P "$(cat "$pid_file")" 2>/dev/null | head -n 1 || true)
    [ -n "$leader" ] || sleep 0.1
    tries=$((tries + 1))
  done
  [ -n "$leader" ] || die "host $1 has no running init"
  echo "$leader"
}

exec_in() {
  local leader
  leader=$(leader_of "$1")
  shift
  # env changes directory inside the host's root (nsenter's --wd would resolve it outside).
  exec nsenter --target "$leader" --mount --uts --ipc --net --pid --cgroup --root -- \
    /usr/bin/env -i --chdir=/ PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"
}

# The pid of a host's systemd-nspawn, if that process is still running (not a reused pid).
nspawn_pid() {
  local pid
  pid=$(cat "$1/nspawn.pid" 2>/dev/null) || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = systemd-nspawn ] || return 1
  echo "$pid"
}

down() {
  local dir pid waited
  for dir in "$STATE"/hosts/*/; do
    pid=$(nspawn_pid "$dir") || continue
    # SIGTERM asks the host's systemd to power off cleanly.
    kill -TERM "$pid" 2>/dev/null || true
  done
  for dir in "$STATE"/hosts/*/; do
    pid=$(nspawn_pid "$dir") || continue
    waited=0
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 30 ]; do
      sleep 1
      waited=$((waited + 1))
    done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$dir/nspawn.pid"
  done
  for dir in "$STATE"/hosts/*/root; do
    mountpoint -q "$dir" 2>/dev/null && umount --lazy "$dir"
  done
  local ns
  for ns in $(ip netns list 2>/dev/null | awk '$1 ~ /^spe2e-/ { print $1 }'); do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
    ip netns del "$ns" || true
  done
  ip link del "$BRIDGE" 2>/dev/null || true
  if mountpoint -q "$STATE" 2>/dev/null; then umount --lazy "$STATE"; fi
  rm -rf "$STATE"
}

[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, mounts, systemd-nspawn)"
command -v systemd-nspawn >/dev/null || die "systemd-nspawn is missing: run scripts/install-system-packages.sh"
case ${1:-} in
  net-up) net_up "$2" ;;
  add) add_host "$2" "$3" ;;
  boot) boot_host "$2" "$3" "$4" "${5:-}" ;;
  root) root_of "$2" ;;
  exec)
    shift
    exec_in "$@"
    ;;
  down) down ;;
  *) die "usage: hosts.sh net-up|add|boot|root|exec|down ..." ;;
esac
