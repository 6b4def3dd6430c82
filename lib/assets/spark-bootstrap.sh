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

# Formats (once) and mounts the attached volume for Spark's local and shuffle directories.
# The volume is found by its size and by having no filesystem yet; after formatting it is
# found by its label, so re-runs and reboots mount the same disk.
mount_local_volume() {
  [ "$LOCAL_VOLUME_GIB" -gt 0 ] || return 0
  local mountpoint=$ROOT/var/lib/spark/local label=spark-local device=""
  local want_bytes=$((LOCAL_VOLUME_GIB * 1024 * 1024 * 1024)) waited=0
  while [ -z "$device" ]; do
    device=$(blkid -L "$label" 2>/dev/null || true)
    if [ -z "$device" ]; then
      device=$(lsblk --bytes --nodeps --noheadings --paths --output NAME,SIZE,TYPE,FSTYPE |
        awk -v size="$want_bytes" '$2 == size && $3 == "disk" && $4 == "" { print $1; exit }')
      if [ -n "$device" ]; then
        log "formatting $device (${LOCAL_VOLUME_GIB} GiB) for Spark local dirs"
        mkfs.ext4 -q -L "$label" -m 0 "$device"
      fi
    fi
    if [ -z "$device" ]; then
      [ "$waited" -lt 300 ] || fail "no ${LOCAL_VOLUME_GIB} GiB volume appeared within 300 s"
      sleep 5
      waited=$((waited + 5))
    fi
  done
  mkdir -p "$mountpoint"
  grep -q "LABEL=$label" /etc/fstab ||
    echo "LABEL=$label $mountpoint ext4 defaults,noatime,nofail,x-systemd.device-timeout=60 0 2" >>/etc/fstab
  mountpoint -q "$mountpoint" || mount "$mountpoint"
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

main "$@"
