#!/usr/bin/env bash
# prepare-prometheus: run as root before Prometheus starts (ExecStartPre=+). Makes the storage
# directory (on the master's volume when it has one) and, with web UI TLS, gives the
# prometheus user its own copy of the key: the original stays root-only.
set -euo pipefail
: "${PROMETHEUS_STORAGE:?}"
install -d -o prometheus -g prometheus -m 0750 "$PROMETHEUS_STORAGE"
install -d -o prometheus -g prometheus -m 0755 /var/lib/prometheus/file_sd
if [ -r /etc/spark/tls/ui.key ]; then
  install -d -o prometheus -g prometheus -m 0700 /var/lib/prometheus/tls
  install -o prometheus -g prometheus -m 0600 /etc/spark/tls/ui.key /var/lib/prometheus/tls/ui.key
fi
