#!/usr/bin/env bash
# Installs and starts Apache Spark on one node of a cluster made by cdktf-spark-openstack.
# Run by cloud-init (runcmd) with the settings in /etc/spark-bootstrap/bootstrap.env; safe to
# run again: finished steps are skipped, services are restarted with the current config.
set -euo pipefail
umask 022

# shellcheck source=/dev/null
source "${SPARK_BOOTSTRAP_ENV:-/etc/spark-bootstrap/bootstrap.env}"

: "${SPARK_ROLE:?}" "${SPARK_VERSION:?}" "${SPARK_DIST:?}" "${SPARK_TARBALL_URL:?}" "${SPARK_SHA512:?}"
: "${SPARK_MASTER_HOST:?}" "${JAVA_PACKAGE:?}" "${MAVEN_REPOSITORY:?}"
SPARK_JARS=${SPARK_JARS:-}
LOCAL_VOLUME_GIB=${LOCAL_VOLUME_GIB:-0}
SERVICES=${SERVICES:-}
WEB_UI_TLS=${WEB_UI_TLS:-false}
PACKAGES=${PACKAGES:-}   # more Debian packages, installed with Java
ROOT=${SPARK_BOOTSTRAP_ROOT:-}   # lets tests run the script inside a scratch root
cache_dir=$ROOT/var/cache/spark-bootstrap
state_dir=$ROOT/var/lib/spark-bootstrap
install_dir=$ROOT/opt/$SPARK_DIST
mkdir -p "$cache_dir" "$state_dir"

started=$(date +%s)
log() { printf '%s spark-bootstrap: %s\n' "$(date -u +%H:%M:%S)" "$*" | tee -a "$state_dir/bootstrap.log" >&2; }
# Records how long each phase took, for time-to-ready reports.
declare -A phase_started
phase_start() { phase_started[$1]=$(date +%s); }
phase_end() { printf '%s %s\n' "$1" "$(($(date +%s) - phase_started[$1]))" >>"$state_dir/timings"; }
fail() {
  log "FAILED: $*"
  exit 1
}
# On every exit: no download left running behind it (it would hold cloud-init's output); the
# outcome recorded (exit status, time) and handed to the exit hooks (monitoring reports it).
finish() {
  local status=$? hook pids
  pids=$(jobs -p)
  # shellcheck disable=SC2086 # one argument per job
  [ -z "$pids" ] || kill $pids 2>/dev/null || true
  printf '%s %s\n' "$status" "$(date +%s)" >"$state_dir/result"
  for hook in "$ROOT"/usr/local/lib/spark-bootstrap/exit.d/*; do
    if [ -x "$hook" ]; then "$hook" "$status" "$state_dir" || log "exit hook $hook failed"; fi
  done
}
trap finish EXIT

# Downloads $1 to $2 with retries (the metadata service and mirrors are slow when many
# servers boot at once).
fetch() {
  curl --fail --silent --show-error --location --retry 8 --retry-delay 5 --retry-all-errors \
    --connect-timeout 20 --output "$2.part" "$1" && mv "$2.part" "$2"
}

# Runs in the background while Spark downloads; the image's Java is used when it has one.
install_java() {
  phase_start java
  local wanted=() package
  command -v java >/dev/null 2>&1 || wanted+=("$JAVA_PACKAGE")
  for package in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'ok installed' || wanted+=("$package")
  done
  if [ "${#wanted[@]}" -gt 0 ]; then
    # unattended-upgrades may hold the dpkg lock on first boot: wait for it instead of failing.
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
      --no-install-recommends "${wanted[@]}" >/dev/null
  fi
  phase_end java
}

# Fetches the S3A jars into the cache and checks them; runs in the background while the
# tarball downloads and unpacks. Jars already in the cache with the right digest are kept.
fetch_jars() {
  local entry jar sha file
  phase_start jars
  for entry in $SPARK_JARS; do
    jar=${entry%=*}
    sha=${entry#*=}
    file=$cache_dir/${jar##*/}
    printf '%s  %s\n' "$sha" "$file" | sha256sum --check --status 2>/dev/null && continue
    fetch "$MAVEN_REPOSITORY/$jar" "$file" || fail "could not download $MAVEN_REPOSITORY/$jar"
    printf '%s  %s\n' "$sha" "$file" | sha256sum --check --status || {
      rm -f "$file"
      fail "SHA-256 of $jar does not match the pinned checksum"
    }
  done
  phase_end jars
}

install_spark() {
  if [ -f "$install_dir/.verified" ]; then
    log "Spark $SPARK_VERSION already installed in $install_dir"
    return 0
  fi
  local tarball=$cache_dir/$SPARK_DIST.tgz jars_pid entry jar
  fetch_jars &
  jars_pid=$!
  phase_start download
  [ -f "$tarball" ] || fetch "$SPARK_TARBALL_URL" "$tarball" || fail "could not download $SPARK_TARBALL_URL"
  phase_end download
  if ! printf '%s  %s\n' "$SPARK_SHA512" "$tarball" | sha512sum --check --status; then
    rm -f "$tarball"
    fail "SHA-512 of $SPARK_TARBALL_URL does not match the pinned checksum; refusing to install it"
  fi
  phase_start unpack
  rm -rf "$install_dir.tmp"
  mkdir -p "$install_dir.tmp"
  tar -xzf "$tarball" -C "$install_dir.tmp" --strip-components=1 --no-same-owner
  rm -rf "$install_dir"
  mv "$install_dir.tmp" "$install_dir"
  phase_end unpack
  wait "$jars_pid" || fail "could not fetch the S3A jars"
  for entry in $SPARK_JARS; do
    jar=${entry%=*}
    mv "$cache_dir/${jar##*/}" "$install_dir/jars/"
  done
  touch "$install_dir/.verified"
  rm -f "$tarball"
}

# Spark's local dirs go on the worker's Cinder volume. Its metadata names the volume
# (spark:local-volume, in cloud-init's instance data); KVM gives the disk the ID's first 20
# characters as serial, which udev puts in its /dev/disk/by-id names. Servers without the key
# (older versions, clouds whose metadata lacks it) take the one blank disk of the volume's
# size. Only a disk holding nothing is formatted. Tests move the places looked at.
instance_data=${SPARK_BOOTSTRAP_INSTANCE_DATA:-/run/cloud-init/instance-data.json}
disk_by_id=${SPARK_BOOTSTRAP_DISK_BY_ID:-/dev/disk/by-id}
volume_wait=${SPARK_BOOTSTRAP_VOLUME_WAIT:-300} # udev may be slow to name a new disk
volume_label=spark-local
volume_device=""
# The by-id link that named the volume's disk.
volume_link=""

local_volume_id() {
  python3 -c 'import json, sys
try: v = json.load(open(sys.argv[1]))["ds"]["meta_data"]["meta"]["spark:local-volume"]
except Exception: v = ""
print(v if isinstance(v, str) else "")' "$instance_data" 2>/dev/null || true
}

# "ours" (the spark-local filesystem), "blank" (nothing on it) or why it must not be touched.
disk_state() {
  local rc=0 probe
  [ -b "$1" ] || { echo "is not a block device"; return; }
  # blkid finds "nothing" on a disk it cannot open, too.
  dd if="$1" of=/dev/null bs=4k count=1 status=none 2>/dev/null || { echo "cannot be read"; return; }
  probe=$(blkid -p -o export "$1" 2>/dev/null) || rc=$?
  if [ "$rc" -eq 0 ]; then
    if grep -qx TYPE=ext4 <<<"$probe" && grep -qx "LABEL=$volume_label" <<<"$probe"; then
      echo ours
    else
      echo "holds $(grep -E '^(PT)?TYPE=|^LABEL=' <<<"$probe" | paste -sd ' ')"
    fi
  elif [ "$rc" -ne 2 ]; then
    echo "gives an unclear probe (blkid exit $rc)"
  elif [ "$(lsblk -n -r -o NAME "$1" 2>/dev/null | wc -l)" -ne 1 ]; then
    echo "has partitions or holders (or lsblk does not list it)"
  elif [ -n "$(lsblk -n -r -o MOUNTPOINT "$1" 2>/dev/null | tr -d '[:space:]')" ] ||
    [ "$(lsblk -d -n -r -o MAJ:MIN "$1" 2>/dev/null)" = "$(mountpoint -d / 2>/dev/null)" ]; then
    echo "is mounted"
  else
    echo blank
  fi
}

# Sets volume_device to the volume's disk, once it is there, formatted.
find_local_volume() {
  local id serial deadline=$((SECONDS + volume_wait)) dev link how state
  local -a found disks ours blank
  id=$(local_volume_id)
  serial=${id:0:20}
  if [ -n "$id" ]; then
    [[ $id =~ ^[A-Za-z0-9-]{20,}$ ]] || fail "spark:local-volume in $instance_data is not a volume ID: $id"
    how="volume $id, found by its serial"
    log "local volume: looking for volume $id by its serial $serial in $disk_by_id"
  else
    how="found by size: no volume ID in the metadata"
    log "local volume: no spark:local-volume in $instance_data; looking for the one blank ${LOCAL_VOLUME_GIB} GiB disk"
  fi
  while :; do
    found=()
    if [ -n "$id" ]; then
      for link in "$disk_by_id"/*"$serial"*; do
        [[ $link != *-part[0-9]* ]] || continue
        dev=$(readlink -f "$link") || continue
        [ -b "$dev" ] || continue
        # Any of its names is as stable as another (virtio-*, or scsi-* under virtio-scsi).
        [ -n "$volume_link" ] || volume_link=$link
        [[ " ${found[*]} " == *" $dev "* ]] || found+=("$dev")
      done
    else
      if [ -n "${SPARK_BOOTSTRAP_DISKS:-}" ]; then
        read -r -a disks <<<"$SPARK_BOOTSTRAP_DISKS"
      else
        mapfile -t disks < <(lsblk -d -n -p -r -o NAME,TYPE | awk '$2 == "disk" { print $1 }')
      fi
      ours=() blank=()
      for dev in "${disks[@]}"; do
        state=$(disk_state "$dev")
        if [ "$state" = ours ]; then
          ours+=("$dev")
        elif [ "$state" = blank ] && [ "$(lsblk -b -d -n -o SIZE "$dev")" = $((LOCAL_VOLUME_GIB << 30)) ]; then
          blank+=("$dev")
        fi
      done
      # A disk labelled spark-local is the volume (a reboot); else a blank one of its size.
      if [ "${#ours[@]}" -gt 0 ]; then found=("${ours[@]}"); else found=("${blank[@]}"); fi
    fi
    if [ "${#found[@]}" -gt 1 ]; then
      fail "${id:+volume $id matches }several disks (${found[*]})${id:- could be the local volume}; refusing to guess"
    fi
    [ "${#found[@]}" -eq 0 ] || break
    if [ "$SECONDS" -ge "$deadline" ]; then
      [ -z "$id" ] || fail "volume $id is not attached: no link in $disk_by_id names its serial $serial after ${volume_wait} s"
      fail "no blank ${LOCAL_VOLUME_GIB} GiB disk appeared within ${volume_wait} s"
    fi
    sleep 1
  done
  volume_device=${found[0]}
  state=$(disk_state "$volume_device")
  case $state in
  ours) log "local volume: $volume_device ($how) is already formatted" ;;
  blank)
    log "local volume: formatting $volume_device ($how) for Spark local dirs"
    mkfs.ext4 -q -L "$volume_label" -m 0 "$volume_device"
    ;;
  *) fail "local volume: $volume_device ($how) $state; refusing to format it" ;;
  esac
}

# Every later boot mounts the volume through a mount unit, before the Spark units start (they
# have RequiresMountsFor= its directory: without the volume they stay down rather than fill the
# root disk). Not fstab: systemd's fstab generator ignores device entries where /sys is
# read-only (a container), and LABEL= needs udev's by-label links, which another disk could
# share. The unit names the disk by the by-id link found above; by its label only when the
# metadata named no volume. nofail: a missing volume does not hold up the boot. The link in
# local-fs.target.wants is what `systemctl enable` makes (here also in a scratch root). Every
# byte counts: the master's user data is close to Nova's limit.
persist_local_volume() {
  local dir=$ROOT/etc/systemd/system
  mkdir -p "$dir/local-fs.target.wants"
  printf '[Mount]\nWhat=%s\nWhere=/var/lib/spark/local\nType=ext4\nOptions=noatime,nofail\n[Install]\nWantedBy=local-fs.target\n' \
    "${volume_link:-/dev/disk/by-label/$volume_label}" >"$dir/var-lib-spark-local.mount"
  ln -sfn ../var-lib-spark-local.mount "$dir/local-fs.target.wants/"
}

mount_local_volume() {
  [ "$LOCAL_VOLUME_GIB" -gt 0 ] || return 0
  local mountpoint=$ROOT/var/lib/spark/local
  find_local_volume
  mkdir -p "$mountpoint"
  persist_local_volume
  # The disk found above, not the label: another disk could carry it too.
  mountpoint -q "$mountpoint" || mount -t ext4 -o defaults,noatime "$volume_device" "$mountpoint"
  chown spark:spark "$mountpoint"
}

# Node-specific settings that user data cannot know (workers share one user data per pool).
write_node_env() {
  local ip
  ip=$(ip -4 route get "$SPARK_MASTER_HOST" 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p')
  [ -n "$ip" ] || fail "no route to the master at $SPARK_MASTER_HOST"
  # Advertise the address, not the hostname: other nodes may have no DNS name for this one.
  printf 'SPARK_LOCAL_IP=%s\nSPARK_LOCAL_HOSTNAME=%s\n' "$ip" "$ip" >"$ROOT/etc/spark/conf/spark-env.node.sh"
  # The JVM looks up its own hostname (Hadoop's metrics, Spark's defaults); where the
  # subnet's DNS does not know it, every lookup would wait for a resolver timeout.
  local name
  name=$(hostname)
  [ -n "$ROOT" ] || getent hosts "$name" >/dev/null 2>&1 || printf '%s %s\n' "$ip" "$name" >>/etc/hosts
}

main() {
  log "bootstrapping Spark $SPARK_VERSION as $SPARK_ROLE"
  install_java &
  local java_pid=$!
  install_spark
  phase_start volume
  mount_local_volume
  phase_end volume
  wait "$java_pid" || fail "could not install $JAVA_PACKAGE"
  ln -sfn "$install_dir" "$ROOT/opt/spark"
  # spark-submit, pyspark and spark-shell run on the node read the cluster's configuration.
  if [ ! -L "$install_dir/conf" ]; then
    rm -rf "$install_dir/conf"
    ln -s /etc/spark/conf "$install_dir/conf"
  fi
  mkdir -p "$ROOT/var/lib/spark/work" "$ROOT/var/lib/spark/local" "$ROOT/var/log/spark"
  chown spark:spark "$ROOT/var/lib/spark" "$ROOT/var/lib/spark/work" "$ROOT/var/lib/spark/local" "$ROOT/var/log/spark"
  write_node_env
  if [ "$WEB_UI_TLS" = true ]; then
    "$ROOT/usr/local/lib/spark-bootstrap/make-ui-keystore" "$ROOT/etc/spark/tls/ui.crt" "$ROOT/etc/spark/tls/ui.key" \
      "$ROOT/etc/spark/tls/ui.p12" "${WEB_UI_KEYSTORE_PASSWORD:?}" || fail "could not make the web UI keystore"
  fi
  phase_start start
  systemctl daemon-reload
  local service
  for service in $SERVICES; do
    systemctl enable "$service.service" >/dev/null 2>&1
    systemctl restart "$service.service"
  done
  phase_end start
  printf 'total %s\n' "$(($(date +%s) - started))" >>"$state_dir/timings"
  log "done in $(($(date +%s) - started)) s: $SERVICES"
}

# Tests source the script to run one function; cloud-init runs it.
[ "${BASH_SOURCE[0]}" != "$0" ] || main "$@"
