#!/usr/bin/env bash
# bootstrap-metrics STATUS STATE_DIR: the bootstrap's outcome as Prometheus metrics, for the
# node exporter's textfile collector. spark-bootstrap runs it on every exit, success or not.
set -euo pipefail
status=$1 state_dir=$2
out_dir=${NODE_EXPORTER_TEXTFILE_DIR:-/var/lib/prometheus/node-exporter}
role=unknown
# shellcheck source=/dev/null
[ ! -r "${SPARK_BOOTSTRAP_ENV:-/etc/spark-bootstrap/bootstrap.env}" ] || . "${SPARK_BOOTSTRAP_ENV:-/etc/spark-bootstrap/bootstrap.env}"
role=${SPARK_ROLE:-$role}
mkdir -p "$out_dir"
tmp=$(mktemp "$out_dir/.spark_bootstrap.XXXXXX")
{
  echo '# HELP spark_bootstrap_success 1 when the last run of spark-bootstrap succeeded, else 0.'
  echo '# TYPE spark_bootstrap_success gauge'
  printf 'spark_bootstrap_success{role="%s"} %d\n' "$role" "$([ "$status" -eq 0 ] && echo 1 || echo 0)"
  echo '# HELP spark_bootstrap_exit_code Exit status of the last run of spark-bootstrap.'
  echo '# TYPE spark_bootstrap_exit_code gauge'
  printf 'spark_bootstrap_exit_code{role="%s"} %d\n' "$role" "$status"
  echo '# HELP spark_bootstrap_last_run_timestamp_seconds When the last run of spark-bootstrap ended.'
  echo '# TYPE spark_bootstrap_last_run_timestamp_seconds gauge'
  printf 'spark_bootstrap_last_run_timestamp_seconds{role="%s"} %d\n' "$role" "$(date +%s)"
  echo '# HELP spark_bootstrap_phase_seconds How long each bootstrap phase took in its last run (total: the whole run).'
  echo '# TYPE spark_bootstrap_phase_seconds gauge'
  # The timings file grows by a line per phase and run: the last line of each phase wins.
  if [ -r "$state_dir/timings" ]; then
    awk -v role="$role" '$1 ~ /^[a-z]+$/ && $2 ~ /^[0-9]+$/ { last[$1] = $2 }
      END { for (p in last) printf "spark_bootstrap_phase_seconds{role=\"%s\",phase=\"%s\"} %s\n", role, p, last[p] }' \
      "$state_dir/timings" | sort
  fi
} >"$tmp"
chmod 0644 "$tmp"
# Atomic: the collector never reads half a file.
mv -f "$tmp" "$out_dir/spark_bootstrap.prom"
