#!/usr/bin/env bash
# A throwaway OpenStack Swift for the end-to-end test: one proxy (healthcheck, s3api, tempauth)
# plus one account, container and object server on single-replica rings, all inside a network
# namespace the caller made, with every config, ring, datum, log and pid file under <state-dir>.
# Swift always reads /etc/swift/swift.conf, so each server runs in a private mount namespace in
# which <state-dir>/etc is bind-mounted over /etc/swift; the host's /etc/swift is never touched.
# tempauth keeps tokens in memcached, which runs beside it. The proxy serves TLS, as a cloud's
# object endpoint does; over plain http the AWS SDKs under S3A would send aws-chunked bodies,
# which Swift 2.30's s3api cannot read (newer Swift can).
#   swift.sh start <netns> <bind-ip> <state-dir> <account> <user> <key> <tls-cert> <tls-key>
#   swift.sh stop <state-dir>
set -euo pipefail

SERVERS=(account container object proxy)
PROCESSES=(memcached "${SERVERS[@]}")

die() { echo "[swift] error: $*" >&2; exit 1; }
alive() { kill -0 "$1" 2>/dev/null && ! grep -qs '^State:[[:space:]]*Z' "/proc/$1/status"; }

write_configs() { # <etc> <state> <ip> <account> <user> <key> <tls-cert> <tls-key>
  local etc=$1 state=$2 ip=$3 u64
  u64="user64_$(printf %s "$4" | base64 -w0 | tr -d =)_$(printf %s "$5" | base64 -w0 | tr -d =)"
  printf '[swift-hash]\nswift_hash_path_suffix = %s\n' "e2e-$RANDOM$RANDOM" >"$etc/swift.conf"
  local common="user = root
swift_dir = $etc
devices = $state/devices
mount_check = false
workers = 0"
  local port=6202 srv
  for srv in account container object; do
    printf '[DEFAULT]\nbind_ip = 127.0.0.1\nbind_port = %s\n%s\n\n[pipeline:main]\npipeline = %s-server\n\n[app:%s-server]\nuse = egg:swift#%s\n' \
      "$port" "$common" "$srv" "$srv" "$srv" >"$etc/$srv-server.conf"
    port=$((port - 1))
  done
  cat >"$etc/proxy-server.conf" <<EOF
[DEFAULT]
bind_ip = $ip
bind_port = 8080
cert_file = $7
key_file = $8
$common

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk s3api tempauth copy slo dlo versioned_writes proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true

[filter:tempauth]
use = egg:swift#tempauth
$u64 = $6 .admin

[filter:s3api]
use = egg:swift#s3api
# SigV4 credential scope must name this region (S3A: fs.s3a.endpoint.region)
location = us-east-1

[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:11211
EOF
  for srv in catch_errors gatekeeper healthcheck proxy-logging listing_formats bulk copy slo dlo versioned_writes; do
    printf '\n[filter:%s]\nuse = egg:swift#%s\n' "$srv" "${srv//-/_}" >>"$etc/proxy-server.conf"
  done
}

build_rings() { # <etc>
  local etc=$1 port=6202 srv
  for srv in account container object; do
    swift-ring-builder "$etc/$srv.builder" create 4 1 1 >/dev/null
    swift-ring-builder "$etc/$srv.builder" add "r1z1-127.0.0.1:$port/d1" 1 >/dev/null
    swift-ring-builder "$etc/$srv.builder" rebalance >/dev/null ||
      [ -s "$etc/$srv.ring.gz" ] || die "swift-ring-builder could not build the $srv ring"
    port=$((port - 1))
  done
}

logs_tail() { # <state>
  local f
  for f in "$1"/log/*.log; do echo "--- $f" >&2; tail -n 20 "$f" >&2; done
}

start() { # <netns> <bind-ip> <state-dir> <account> <user> <key> <tls-cert> <tls-key>
  [ $# -eq 8 ] || die "usage: $0 start <netns> <bind-ip> <state-dir> <account> <user> <key> <tls-cert> <tls-key>"
  local ns=$1 ip=$2 state account=$4 user=$5 key=$6 cert key_file srv
  [[ $account =~ ^[A-Za-z0-9._-]+$ && $user =~ ^[A-Za-z0-9._-]+$ ]] ||
    die "account and user must match [A-Za-z0-9._-]+ (got '$account', '$user')"
  [[ $key =~ ^[^[:space:]%]+$ ]] || die "key must not be empty or contain whitespace or '%'"
  [ "$(id -u)" -eq 0 ] || die "start needs root (ip netns exec, mount --bind)"
  [ -d /etc/swift ] || die "/etc/swift is missing (it is the bind-mount target); install the swift package"
  ip netns pids "$ns" >/dev/null 2>&1 || die "network namespace '$ns' does not exist"
  # the servers listen with SO_REUSEPORT: a second Swift in the netns would share the ports silently
  [ -z "$(ip netns exec "$ns" ss -Hltn 'sport = :8080 or sport = :6200 or sport = :6201 or sport = :6202')" ] ||
    die "ports 8080/6200-6202 are already in use in '$ns' (another Swift running there?)"
  if [ ! -r "$7" ] || [ ! -r "$8" ]; then die "TLS certificate or key not readable: $7 $8"; fi
  cert=$(realpath "$7") key_file=$(realpath "$8")
  mkdir -p "$3" && state=$(cd "$3" && pwd)
  mkdir -p "$state"/{etc,log,run,devices/d1}
  write_configs "$state/etc" "$state" "$ip" "$account" "$user" "$key" "$cert" "$key_file"
  build_rings "$state/etc"
  ip -n "$ns" link set lo up || die "could not bring up lo in '$ns'"
  # Its -P pid file names the state dir, which is how stop knows the process as ours.
  setsid ip netns exec "$ns" memcached -u root -l 127.0.0.1 -p 11211 -m 64 -P "$state/run/memcached.self.pid" \
    </dev/null >"$state/log/memcached.log" 2>&1 &
  echo $! >"$state/run/memcached.pid"
  for srv in "${SERVERS[@]}"; do
    # shellcheck disable=SC2016 # $1/$2 are expanded by the inner bash
    setsid ip netns exec "$ns" unshare --mount --propagation private \
      bash -c 'mount --bind "$1" /etc/swift && exec "swift-$2-server" "$1/$2-server.conf" -v' \
      swift-launch "$state/etc" "$srv" </dev/null >"$state/log/$srv.log" 2>&1 &
    echo $! >"$state/run/$srv.pid"
  done
  wait_ready "$ns" "$ip" "$state" "$account:$user" "$key" "$cert" || {
    logs_tail "$state"; stop "$state"; die "Swift did not become ready on $ip:8080 (logs above)"; }
  echo "[swift] ready: https://$ip:8080 (S3 access key '$account:$user'; logs in $state/log)" >&2
}

wait_ready() { # <netns> <ip> <state> <account:user> <key> <ca-cert>
  local deadline=$((SECONDS + 60)) srv
  while [ $SECONDS -lt $deadline ]; do
    for srv in "${PROCESSES[@]}"; do
      alive "$(cat "$3/run/$srv.pid")" || { echo "[swift] $srv-server exited" >&2; return 1; }
    done
    if ip netns exec "$1" curl -fsS --max-time 5 --cacert "$6" -o /dev/null "https://$2:8080/healthcheck" 2>/dev/null &&
      ip netns exec "$1" curl -fsS --max-time 5 --cacert "$6" -o /dev/null -H "X-Auth-User: $4" -H "X-Auth-Key: $5" \
        "https://$2:8080/auth/v1.0" 2>/dev/null; then
      return 0
    fi
    sleep 0.5
  done
  echo "[swift] no healthcheck 200 and tempauth login within 60 s" >&2
  return 1
}

stop() { # <state-dir>
  [ $# -eq 1 ] || die "usage: $0 stop <state-dir>"
  local state srv pid pids=() i j
  state=$(cd "$1" 2>/dev/null && pwd) || return 0
  for srv in "${PROCESSES[@]}"; do
    pid=$(cat "$state/run/$srv.pid" 2>/dev/null) || continue
    # only signal a pid that is still one of ours (its command line names our state dir)
    if grep -qsaF "$state/" "/proc/$pid/cmdline"; then
      kill -TERM -- "-$pid" "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
    rm -f "$state/run/$srv.pid"
  done
  for i in $(seq 50); do
    [ ${#pids[@]} -eq 0 ] && return 0
    for j in "${!pids[@]}"; do alive "${pids[$j]}" || unset "pids[$j]"; done
    [ "$i" -lt 50 ] && sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL -- "-$pid" "$pid" 2>/dev/null || true; done
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  *) die "usage: $0 start <netns> <bind-ip> <state-dir> <account> <user> <key> <tls-cert> <tls-key> | stop <state-dir>" ;;
esac
