#!/usr/bin/env bash
# wait-for-port HOST PORT TIMEOUT_S: succeeds once HOST:PORT accepts a TCP connection.
set -euo pipefail
host=$1 port=$2 timeout=${3:-300}
deadline=$((SECONDS + timeout))
until (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "wait-for-port: $host:$port not reachable after $timeout s" >&2
    exit 1
  fi
  sleep 2
done
