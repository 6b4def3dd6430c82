# shellcheck shell=bash
# What cloud.sh (the cloud's machine) and hosts.sh (the realized servers) both do with a
# machine booted by `systemd-nspawn --boot` in the background: find it, find its init, run a
# command inside it. Sourced; the caller defines die().

# nspawn_running <pid-file>: prints the pid of that systemd-nspawn if it still runs (a pid
# reused by another process does not count); fails otherwise.
nspawn_running() {
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = systemd-nspawn ] || return 1
  echo "$pid"
}

# nspawn_init <nspawn-pid> <what>: prints the machine's PID 1 once systemd-nspawn has started
# it (up to 10 s); dies naming <what> otherwise.
nspawn_init() {
  local child tries=0
  while [ "$tries" -lt 100 ]; do
    child=$(pgrep -P "$1" 2>/dev/null | head -n 1 || true)
    if [ -n "$child" ]; then
      echo "$child"
      return 0
    fi
    sleep 0.1
    tries=$((tries + 1))
  done
  die "$2 has no running init"
}

# nspawn_exec <init-pid> <command>...: replaces this shell with the command inside the machine,
# with a clean environment; env changes directory inside the machine's root (nsenter's --wd
# would resolve it outside).
nspawn_exec() {
  local init=$1
  shift
  exec nsenter --target "$init" --mount --uts --ipc --net --pid --cgroup --root -- \
    /usr/bin/env -i --chdir=/ PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"
}
