#!/usr/bin/env bash
# wait-for-port HOST[,HOST...] PORT TIMEOUT_S: succeeds once one of the hosts accepts a TCP
# connection on PORT (any of a cluster's masters will do: a standby points workers on).
set -euo pipefail
hosts=$1 port=$2 timeout=${3:-300}
deadline=$((SECONDS + timeout))
while :; do
  for host in ${hosts//,/ }; do
    if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then exit 0; fi
  done
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "wait-for-port: none of $hosts accepts connections on port $port after $timeout s" >&2
    exit 1
  fi
  sleep 2
done
