# shellcheck shell=sh
# Sizes a Spark worker from the vCPUs and RAM of the node it runs on, with the formula of
# lib/executor-sizing.ts (sizeWorker); test/worker-sizing.test.ts runs both over many
# flavors and requires the same numbers. Sourced by spark-env.sh at every start of the
# worker, so a resized server advertises its new size after its reboot.

# spark_worker_sizing VCPUS RAM_MIB: prints "cores memory_mib executors executor_cores
# heap_mib overhead_mib reserved_cores reserved_mib", or fails when the node cannot hold one
# executor of 1 GiB heap plus overhead.
spark_worker_sizing() {
  sws_vcpus=$1 sws_ram=$2
  sws_reserved_cores=$((sws_vcpus > 2 ? 1 : 0))
  sws_cores=$((sws_vcpus - sws_reserved_cores))
  sws_os=$((sws_ram / 10))
  [ "$sws_os" -ge 1024 ] || sws_os=1024
  sws_reserved=$((sws_os + 1024))
  sws_available=$((sws_ram - sws_reserved))
  # The smallest executor: 1024 MiB heap + 384 MiB overhead.
  [ "$sws_vcpus" -ge 1 ] && [ "$sws_available" -ge 1408 ] || return 1
  sws_n=$(((sws_cores + 4) / 5))
  [ "$sws_n" -le $((sws_available / 1408)) ] || sws_n=$((sws_available / 1408))
  [ "$sws_n" -ge 1 ] || sws_n=1
  sws_executor_cores=$((sws_cores / sws_n))
  [ "$sws_executor_cores" -le 5 ] || sws_executor_cores=5
  sws_per=$((sws_available / sws_n))
  # The largest heap with heap + max(384, ceil(heap / 10)) <= per executor.
  sws_heap=$((sws_per * 10 / 11))
  [ "$sws_heap" -le $((sws_per - 384)) ] || sws_heap=$((sws_per - 384))
  sws_overhead=$(((sws_heap + 9) / 10))
  [ "$sws_overhead" -ge 384 ] || sws_overhead=384
  echo "$sws_cores $((sws_heap * sws_n)) $sws_n $sws_executor_cores $sws_heap $sws_overhead $sws_reserved_cores $sws_reserved"
}

# spark_node_hardware FLAVOR_VCPUS FLAVOR_RAM_MIB: prints "vcpus ram_mib" of this node. The
# kernel reports less RAM than the flavor has (it keeps some for itself), so while the node
# still looks like the flavor its user data was rendered for (same vCPUs, RAM within 10 %
# below the flavor's) the flavor's own numbers are used, and the node gets exactly the
# synth-time sizing; a node that looks otherwise (resized) is sized from what it has.
# /etc/spark-bootstrap/node-hardware.env (NODE_VCPUS, NODE_RAM_MIB), when present, says what
# the node has instead: for hosts whose kernel view is not the server's (containers, tests).
spark_node_hardware() {
  snh_vcpus=$(nproc)
  snh_ram=$(($(sed -n 's/^MemTotal: *\([0-9]*\) kB$/\1/p' "${SPARK_MEMINFO:-/proc/meminfo}") / 1024))
  snh_override=${SPARK_NODE_HARDWARE:-/etc/spark-bootstrap/node-hardware.env}
  if [ -r "$snh_override" ]; then
    # shellcheck source=/dev/null
    . "$snh_override"
    snh_vcpus=${NODE_VCPUS:-$snh_vcpus}
    snh_ram=${NODE_RAM_MIB:-$snh_ram}
  fi
  if [ "$snh_vcpus" -eq "$1" ] && [ "$snh_ram" -le "$2" ] && [ "$snh_ram" -ge $(($2 * 9 / 10)) ]; then
    snh_ram=$2
  fi
  echo "$snh_vcpus $snh_ram"
}

# spark_worker_env FLAVOR_VCPUS FLAVOR_RAM_MIB: sets SPARK_WORKER_CORES and
# SPARK_WORKER_MEMORY for this node. Falls back to the flavor's sizing when the node's own
# cannot be computed (too small for one executor: the worker still starts and says so).
spark_worker_env() {
  # shellcheck disable=SC2046 # word splitting is the point
  set -- "$1" "$2" $(spark_node_hardware "$1" "$2")
  swe_sizing=$(spark_worker_sizing "$3" "$4") || {
    echo "spark-env: this node ($3 vCPU, $4 MiB) cannot hold one executor; sizing it as its flavor ($1 vCPU, $2 MiB)" >&2
    swe_sizing=$(spark_worker_sizing "$1" "$2")
  }
  # shellcheck disable=SC2034 # read by Spark's launch scripts, which source spark-env.sh with set -a
  SPARK_WORKER_CORES=${swe_sizing%% *}
  swe_rest=${swe_sizing#* }
  # shellcheck disable=SC2034
  SPARK_WORKER_MEMORY=${swe_rest%% *}m
  # spark-env.sh is sourced with set -a: keep the helpers' variables out of the daemon's environment.
  unset sws_vcpus sws_ram sws_reserved_cores sws_cores sws_os sws_reserved sws_available sws_n \
    sws_executor_cores sws_per sws_heap sws_overhead snh_vcpus snh_ram snh_override swe_sizing swe_rest \
    NODE_VCPUS NODE_RAM_MIB
}
