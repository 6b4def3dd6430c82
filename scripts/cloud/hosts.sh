#!/usr/bin/env bash
# The hypervisor's part of the local cloud (cloud.sh realize runs it for each ACTIVE server that
# Nova's fake driver only pretends to run): a server becomes a host, a network namespace holding
# its Neutron port's MAC and fixed IP on a bridge for its network inside the cloud's namespace,
# booted by systemd-nspawn as a systemd machine whose root is an overlay of this machine's root
# (the "image") with a writable layer of its own. cloud-init in the host detects OpenStack
# (product_name=OpenStack Nova in PID 1's environment, as ds-identify reads it) and reads
# meta_data.json and user_data from Nova's metadata API: the cloud's namespace forwards
# 169.254.169.254 there, and Nova finds the server by the host's fixed IP. An attached volume is a
# sparse file on a loop device, named in /dev/disk/by-id as KVM names a Cinder volume.
#
#   hosts.sh net <bridge> <gateway-ip>/<prefix>      the network's bridge in the cloud's namespace
#   hosts.sh bridges                                 the bridges that exist
#   hosts.sh net-del <bridge>                        removes a bridge (its hosts must be gone)
#   hosts.sh add <name> <bridge> <ip>/<prefix> <mac> <gateway-ip>
#                                                    namespace spch-<name> with the port's address
#   hosts.sh boot <name> <hostname> <vcpus> <ram-mib> [<volume-id>=<size-gib>...]
#                                                    boots the host (vCPUs and RAM of its flavor)
#   hosts.sh stop <name>                             powers it off (clean shutdown, 30 s), keeping
#                                                    its disk, volumes and address
#   hosts.sh start <name>                            boots the kept disk again
#   hosts.sh reboot <name> [--hard]                  stop and start (--hard: no clean shutdown)
#   hosts.sh state <name>                            running or off
#   hosts.sh remove <name>                           stops the host and removes what it had
#   hosts.sh list                                    names of the hosts that exist
#   hosts.sh root <name>                             the host's root directory, as seen from here
#   hosts.sh exec <name> <command>...                runs a command inside the host
#   hosts.sh down                                    removes every host, bridge, loop and mount
#
# Hosts and volumes live in an ext4 image under the cloud's run layer (disk, not RAM), mounted
# at /run/spcloud/hosts; `down` (and cloud.sh down) removes all of it. Hosts reach the cloud's
# addresses and each other and nothing else: the cloud's namespace has no default route.
#
# A host's directory ($STATE/<name>) holds its disk (the overlay's upper layer, mounted at
# root/), its volumes' loop devices (loops) and by-id links, and what every boot reuses:
# hostname and nspawn.args (its binds). A supervisor (supervisor.pid) runs systemd-nspawn
# (nspawn.pid; booted-at: when that boot began) and boots the same root again when the guest
# reboots itself (systemd-nspawn exits 133), as a hypervisor does; each boot that ended is a
# line in boots (start, end, exit status). power-off says the host is powered off on purpose.
set -euo pipefail

# shellcheck source=scripts/cloud/nspawn.sh
source "$(dirname "${BASH_SOURCE[0]}")/nspawn.sh"
CACHE=${SPARK_CLOUD_CACHE:-/var/cache/cdktf-spark-openstack/cloud}
STATE=/run/spcloud/hosts
IMAGE=$CACHE/run/hosts.ext4
CLOUD_NETNS=spcloud
PREFIX=spch
# Units of this machine's own services that a cloud image would not run.
IDLE_UNITS=(postgresql.service postgresql@.service apt-daily.timer apt-daily-upgrade.timer
  man-db.timer e2scrub_all.timer dpkg-db-backup.timer fstrim.timer memcached.service)

die() {
  echo "hosts.sh: $*" >&2
  exit 1
}

valid_name() { [[ $1 =~ ^[a-z0-9]{1,10}$ ]] || die "host name $1: expected up to 10 of [a-z0-9]"; }

need_state() {
  mountpoint -q "$STATE" && return 0
  [ -e "/run/netns/$CLOUD_NETNS" ] || die "the local cloud is not up (npm run cloud -- up)"
  mkdir -p "$STATE" "$(dirname "$IMAGE")"
  if [ ! -f "$IMAGE" ]; then
    # Sparse: only what the hosts write takes disk space.
    truncate -s 200G "$IMAGE"
    mkfs.ext4 -q -F -m 0 -E lazy_itable_init=1,lazy_journal_init=1 "$IMAGE"
  fi
  mount -o loop,noatime "$IMAGE" "$STATE"
  chmod 0700 "$STATE"
}

in_cloud() { ip netns exec "$CLOUD_NETNS" "$@"; }

net() {
  local bridge=$1 gateway=$2
  [[ $bridge =~ ^spcb-[a-z0-9]{1,10}$ ]] || die "bridge name $bridge: expected spcb-<up to 10 of [a-z0-9]>"
  need_state
  ip -n "$CLOUD_NETNS" link show "$bridge" >/dev/null 2>&1 && return 0
  ip -n "$CLOUD_NETNS" link add "$bridge" type bridge
  ip -n "$CLOUD_NETNS" addr add "$gateway" dev "$bridge"
  ip -n "$CLOUD_NETNS" link set "$bridge" up
}

bridges() {
  ip -n "$CLOUD_NETNS" -o link show type bridge 2>/dev/null | awk -F': ' '{ print $2 }' | grep '^spcb-' || true
}

net_del() {
  [[ $1 =~ ^spcb-[a-z0-9]{1,10}$ ]] || die "bridge name $1: expected spcb-<up to 10 of [a-z0-9]>"
  ip -n "$CLOUD_NETNS" link del "$1" 2>/dev/null || true
}

add() {
  local name=$1 bridge=$2 address=$3 mac=$4 gateway=$5 ns=$PREFIX-$1
  valid_name "$name"
  need_state
  [ ! -e "/run/netns/$ns" ] || die "host $name exists already"
  ip -n "$CLOUD_NETNS" link show "$bridge" >/dev/null 2>&1 || die "no bridge $bridge: run 'net' first"
  ip netns add "$ns"
  ip link add "$ns" type veth peer name eth0 netns "$ns"
  ip link set "$ns" netns "$CLOUD_NETNS"
  ip -n "$CLOUD_NETNS" link set "$ns" master "$bridge" up
  ip -n "$ns" link set lo up
  # The port's MAC first: cloud-init matches network_data.json's links by MAC, and a link
  # going down and up again drops its routes.
  ip -n "$ns" link set eth0 address "$mac"
  ip -n "$ns" addr add "$address" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" route add default via "$gateway"
}

root_of() { printf '%s/%s/root\n' "$STATE" "$1"; }

# What a cloud image carries that this machine's root does not, and what the hypervisor gives.
image_files() {
  local upper=$1 vcpus=$2 ram=$3 unit
  mkdir -p "$upper/etc/cloud/cloud.cfg.d" "$upper/etc/systemd/system" "$upper/etc/spark-bootstrap"
  # Neutron's address is already on eth0 (there is no DHCP agent); this machine has no
  # en_US locale, which cloud-init's default would set.
  printf 'network: {config: disabled}\nlocale: C.UTF-8\n' >"$upper/etc/cloud/cloud.cfg.d/99-local-cloud.cfg"
  : >"$upper/etc/machine-id" # a fresh identity, as a new server has
  echo "# no DNS server on the cluster's subnet" >"$upper/etc/resolv.conf"
  for unit in "${IDLE_UNITS[@]}" /lib/systemd/system/swift*.service; do
    ln -sf /dev/null "$upper/etc/systemd/system/${unit##*/}"
  done
  # The host shares this machine's CPUs and RAM; this says which flavor it stands for, as a
  # server's own kernel would (lib/assets/worker-sizing.sh reads it).
  printf 'NODE_VCPUS=%s\nNODE_RAM_MIB=%s\n' "$vcpus" "$ram" >"$upper/etc/spark-bootstrap/node-hardware.env"
}

# A volume: a sparse file of its size on a loop device, kept per volume ID so that a server
# rebuilt or replaced finds the data the volume had.
attach_volume() { # <host-dir> <index> <volume-id> <size-gib>: prints a systemd-nspawn --bind
  local dir=$1 index=$2 id=$3 size=$4 file loop device
  [[ $id =~ ^[0-9a-f-]{36}$ && $size =~ ^[0-9]+$ ]] || die "volume $id=$size: expected <uuid>=<GiB>"
  file=$STATE/volumes/$id.img
  mkdir -p "$STATE/volumes"
  [ -f "$file" ] || truncate -s "${size}G" "$file"
  loop=$(losetup --associated "$file" | cut -d: -f1 | head -n 1)
  [ -n "$loop" ] || loop=$(losetup --find --show "$file")
  echo "$loop" >>"$dir/loops"
  # vdb, vdc...: the names virtio gives disks after the root disk.
  local letters=bcdefghijklmnop
  device=vd${letters:index:1}
  mkdir -p "$dir/by-id"
  # KVM passes the volume ID as the disk's serial, cut to 20 characters.
  ln -sfn "/dev/$device" "$dir/by-id/virtio-${id:0:20}"
  printf -- '--bind=%s:/dev/%s\n' "$loop" "$device"
}

boot() {
  local name=$1 hostname=$2 vcpus=$3 ram=$4 dir binds=() spec index=0
  shift 4
  valid_name "$name"
  dir=$STATE/$name
  [ -e "/run/netns/$PREFIX-$name" ] || die "no network namespace for $name: run 'add' first"
  [[ $vcpus =~ ^[0-9]+$ && $ram =~ ^[0-9]+$ ]] || die "vCPUs and RAM must be numbers"
  mkdir -p "$dir/upper" "$dir/work" "$dir/root"
  : >"$dir/loops"
  for spec in "$@"; do
    binds+=("$(attach_volume "$dir" "$index" "${spec%%=*}" "${spec#*=}")")
    index=$((index + 1))
  done
  [ "$index" -eq 0 ] || binds+=("--bind-ro=$dir/by-id:/dev/disk/by-id")
  image_files "$dir/upper" "$vcpus" "$ram"
  mount -t overlay "$PREFIX-$name" -o "lowerdir=/,upperdir=$dir/upper,workdir=$dir/work" "$dir/root"
  : >"$dir/nspawn.args"
  [ "${#binds[@]}" -eq 0 ] || printf '%s\n' "${binds[@]}" >"$dir/nspawn.args"
  echo "$hostname" >"$dir/hostname"
  launch "$name"
}

supervisor_pid() { # <host-dir>: prints the pid of the host's supervisor if it still runs
  local pid
  pid=$(cat "$1/supervisor.pid" 2>/dev/null) || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q " supervise $(basename "$1") *$" || return 1
  echo "$pid"
}

# Boots the host's root in the background under its supervisor; returns once systemd-nspawn runs.
launch() { # <name>
  local name=$1 dir=$STATE/$1 tries=0
  ! supervisor_pid "$dir" >/dev/null || die "host $name is running"
  mountpoint -q "$dir/root" || die "host $name has no root mounted"
  [ -f "$dir/nspawn.args" ] || die "host $name was made by an older hosts.sh (no nspawn.args): remove it"
  rm -f "$dir/power-off" "$dir/nspawn.pid"
  # No lock of cloud.sh (fd 8) or of the caller is held by the host.
  setsid bash "${BASH_SOURCE[0]}" supervise "$name" </dev/null >>"$dir/supervisor.log" 2>&1 8>&- 9>&- &
  echo $! >"$dir/supervisor.pid"
  until nspawn_pid "$dir" >/dev/null; do
    [ "$tries" -lt 100 ] || die "host $name: systemd-nspawn did not start (see $dir/console.log)"
    sleep 0.1
    tries=$((tries + 1))
  done
}

# The supervisor: one systemd-nspawn per boot, with the arguments of the first.
supervise() { # <name>
  local name=$1 dir=$STATE/$1 binds=() pid rc began quick=0
  mapfile -t binds <"$dir/nspawn.args"
  while :; do
    began=$(date +%s.%N)
    echo "$began" >"$dir/booted-at"
    printf -- '--- boot at %s\n' "$(date -u -d "@$began" +%FT%TZ)" >>"$dir/console.log"
    # systemd-nspawn runs inside the host's namespace (not --network-namespace-path), so that the
    # sysfs it mounts shows the host's own eth0: cloud-init looks the port's MAC up there.
    nsenter --net="/run/netns/$PREFIX-$name" systemd-nspawn --quiet --directory="$dir/root" \
      --machine="$PREFIX-$name" --register=no --keep-unit --console=read-only --link-journal=no \
      --resolv-conf=off --setenv="product_name=OpenStack Nova" "${binds[@]}" --boot \
      >>"$dir/console.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$dir/nspawn.pid"
    rc=0
    wait "$pid" || rc=$?
    printf '%s %s %s\n' "$began" "$(date +%s.%N)" "$rc" >>"$dir/boots"
    if [ -e "$dir/power-off" ] || [ "$rc" -ne 133 ]; then break; fi
    # A guest that reboots within seconds of every boot would loop for ever: leave it off.
    if [ $(($(date +%s) - ${began%.*})) -lt 10 ]; then quick=$((quick + 1)); else quick=0; fi
    [ "$quick" -lt 5 ] || {
      echo "host $name rebooted 5 times within 10 s of booting: left off" >&2
      break
    }
  done
  rm -f "$dir/supervisor.pid"
}

nspawn_pid() { nspawn_running "$1/nspawn.pid"; } # <host-dir>

exec_in() {
  local name=$1 pid
  shift
  pid=$(nspawn_pid "$STATE/$name") || die "host $name is not running"
  nspawn_exec "$(nspawn_init "$pid" "host $name")" "$@"
}

# Powers the host off: its supervisor first (so that nothing boots it again), then a clean
# shutdown (systemd-nspawn asks the guest's systemd to power off); after <seconds> (default 30,
# 0: at once) the guest's init is killed, which ends every process of the guest.
stop_host() { # <dir> [<seconds>]
  local dir=$1 limit=${2:-30} pid init waited=0 how=stopped
  touch "$dir/power-off"
  if pid=$(supervisor_pid "$dir"); then kill -TERM "$pid" 2>/dev/null || true; fi
  rm -f "$dir/supervisor.pid"
  pid=$(nspawn_pid "$dir") || return 0
  if [ "$limit" -gt 0 ]; then kill -TERM "$pid" 2>/dev/null || true; fi
  while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt "$limit" ]; do
    sleep 1
    waited=$((waited + 1))
  done
  if kill -0 "$pid" 2>/dev/null; then
    how=killed
    init=$(pgrep -P "$pid" 2>/dev/null | head -n 1 || true)
    [ -z "$init" ] || kill -KILL "$init" 2>/dev/null || true
    kill -KILL "$pid" 2>/dev/null || true
    waited=0
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 50 ]; do
      sleep 0.1
      waited=$((waited + 1))
    done
  fi
  printf '%s %s %s\n' "$(cat "$dir/booted-at" 2>/dev/null)" "$(date +%s.%N)" "$how" >>"$dir/boots"
}

stop() {
  valid_name "$1"
  [ -f "$STATE/$1/hostname" ] || die "no host $1"
  stop_host "$STATE/$1"
}

start() {
  valid_name "$1"
  [ -f "$STATE/$1/hostname" ] || die "no host $1"
  nspawn_pid "$STATE/$1" >/dev/null && return 0
  # A supervisor left between two boots would race the new one.
  stop_host "$STATE/$1" 0
  launch "$1"
}

# What a hypervisor does on a reboot: a clean power-off (--hard: none), then the same disk boots.
reboot_host() { # <name> [--hard]
  local name=$1 mode=${2:-}
  valid_name "$name"
  [ -f "$STATE/$name/hostname" ] || die "no host $name"
  [ -z "$mode" ] || [ "$mode" = --hard ] || die "reboot $name: unknown option $mode"
  if [ "$mode" = --hard ]; then stop_host "$STATE/$name" 0; else stop_host "$STATE/$name"; fi
  launch "$name"
}

state() {
  valid_name "$1"
  [ -f "$STATE/$1/hostname" ] || die "no host $1"
  if nspawn_pid "$STATE/$1" >/dev/null; then echo running; else echo off; fi
}

remove_dir() { # <dir>
  local dir=$1 name loop
  name=$(basename "$dir")
  stop_host "$dir"
  rm -f "$dir/nspawn.pid"
  if mountpoint -q "$dir/root" 2>/dev/null; then umount "$dir/root" || umount --lazy "$dir/root"; fi
  if [ -f "$dir/loops" ]; then
    while read -r loop; do losetup --detach "$loop" 2>/dev/null || true; done <"$dir/loops"
  fi
  if [ -e "/run/netns/$PREFIX-$name" ]; then
    ip netns pids "$PREFIX-$name" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
    ip netns del "$PREFIX-$name" || true
  fi
  rm -rf "$dir"
}

remove() {
  valid_name "$1"
  mountpoint -q "$STATE" || return 0
  [ -d "$STATE/$1" ] || [ -e "/run/netns/$PREFIX-$1" ] || return 0
  mkdir -p "$STATE/$1"
  remove_dir "$STATE/$1"
}

list() {
  mountpoint -q "$STATE" || return 0
  local dir
  for dir in "$STATE"/*/; do
    [ -f "$dir/hostname" ] || continue
    basename "$dir"
  done
}

down() {
  local dir ns pid
  if mountpoint -q "$STATE"; then
    # Power off all hosts at once (no supervisor boots one again), then clean up each.
    for dir in "$STATE"/*/; do
      [ -f "$dir/hostname" ] || continue
      touch "$dir/power-off"
      if pid=$(supervisor_pid "${dir%/}"); then kill -TERM "$pid" 2>/dev/null || true; fi
      if pid=$(nspawn_pid "$dir"); then kill -TERM "$pid" 2>/dev/null || true; fi
    done
    for dir in "$STATE"/*/; do
      [ -f "$dir/hostname" ] && remove_dir "${dir%/}"
    done
  fi
  for ns in $(ip netns list 2>/dev/null | awk -v p="$PREFIX-" 'index($1, p) == 1 { print $1 }'); do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
    ip netns del "$ns" || true
  done
  # Loop devices still bound to a volume file (a crash before remove) keep the image busy.
  losetup --list --noheadings --output NAME,BACK-FILE 2>/dev/null | awk -v d="$STATE/volumes/" 'index($2, d) == 1 { print $1 }' |
    xargs -r -n 1 losetup --detach 2>/dev/null || true
  if mountpoint -q "$STATE" 2>/dev/null; then
    umount "$STATE" || umount --lazy "$STATE"
  fi
  rm -rf "$STATE" "$IMAGE"
}

[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, mounts, loop devices, systemd-nspawn)"
command -v systemd-nspawn >/dev/null || die "systemd-nspawn is missing: run scripts/install-system-packages.sh"
case ${1:-} in
  net) net "$2" "$3" ;;
  bridges) bridges ;;
  net-del) net_del "$2" ;;
  add) add "$2" "$3" "$4" "$5" "$6" ;;
  boot)
    shift
    boot "$@"
    ;;
  stop) stop "$2" ;;
  start) start "$2" ;;
  reboot) reboot_host "$2" "${3:-}" ;;
  state) state "$2" ;;
  supervise)
    # Runs as long as the host: exit before bash reads on in a script that may have changed.
    supervise "$2"
    exit 0
    ;;
  remove) remove "$2" ;;
  list) list ;;
  root) root_of "$2" ;;
  exec)
    shift
    exec_in "$@"
    ;;
  down) down ;;
  *) die "usage: hosts.sh net|bridges|net-del|add|boot|stop|start|reboot|state|remove|list|root|exec|down ..." ;;
esac
